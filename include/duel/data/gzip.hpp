// gzip (RFC 1952): the container around a deflate stream that .gz files use.
//
// A gzip file is a 10-byte header (magic 1f 8b, method 8 = deflate, flags, time, OS), optional
// fields chosen by the flags (FEXTRA, FNAME, FCOMMENT, FHCRC), the raw deflate data, and an 8-byte
// trailer: the CRC-32 of the uncompressed data and ISIZE, its length mod 2^32, both little-endian.
//
// gunzip inflates with stb_image's zlib decoder (stbi_zlib_decode_noheader_buffer): Duel depends
// on stb already, so .gz support adds no dependency. The output is allocated from ISIZE before
// inflating, so ISIZE is first checked against the caller's maximum and against the most deflate
// can expand (1032:1, a 258-byte match coded in 2 bits); the decoder never writes past it, and the
// CRC-32 and ISIZE are verified after. gzip compresses with stb_image_write's zlib encoder
// (stbi_zlib_compress) and keeps the raw deflate data between its 2-byte zlib header and 4-byte
// Adler-32 trailer.
//
// One member per file: the trailer is read from the last 8 bytes, so a concatenated (multi-member)
// file fails its ISIZE or CRC check rather than being read in part.
#pragma once

#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "duel/data/file.hpp"
#include "duel/data/stb_image.hpp"
#include "duel/io/stb_image_write.hpp"
#include "duel/tensor/error.hpp"

namespace duel::data {
namespace detail {

constexpr std::array<std::uint32_t, 256> make_crc32_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t n = 0; n < 256; ++n) {
    std::uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}
inline constexpr std::array<std::uint32_t, 256> crc32_table = make_crc32_table();

// "0x0000abcd": hex digits for values in error messages.
inline std::string hex(std::uint32_t value, int digits) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%0*x", digits, value);
  return buf;
}

inline std::uint32_t load_le(std::span<const std::uint8_t> bytes, std::size_t at, int count) {
  std::uint32_t v = 0;
  for (int i = count - 1; i >= 0; --i) v = v << 8 | bytes[at + static_cast<std::size_t>(i)];
  return v;
}

inline void store_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

}  // namespace detail

// Deflate's largest expansion: output bytes per input byte.
inline constexpr std::size_t max_deflate_ratio = 1032;

// CRC-32 as gzip, PNG and zip define it: polynomial 0xEDB88320 (bit-reflected), register and result
// inverted. Pass an earlier result as crc to continue it over more bytes.
inline std::uint32_t crc32(std::span<const std::uint8_t> bytes, std::uint32_t crc = 0) {
  crc = ~crc;
  for (std::uint8_t b : bytes) crc = detail::crc32_table[(crc ^ b) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

// True if bytes start with gzip's magic number 1f 8b.
inline bool is_gzip(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

namespace detail {

// Where the deflate data of gz starts: after the 10-byte header and the optional fields that its
// flags announce. Checks the magic, the method and, if present, the header CRC.
inline std::size_t gzip_data_start(std::span<const std::uint8_t> gz, const std::string& name) {
  if (gz.size() < 18)
    throw error_at(name, gz.size(), "truncated gzip: a header and trailer need 18 bytes, found ", gz.size());
  if (!is_gzip(gz))
    throw error_at(name, 0, "not gzip: magic is ", hex(gz[0], 2), " ", hex(gz[1], 2), ", expected 0x1f 0x8b");
  if (gz[2] != 8) throw error_at(name, 2, "compression method ", int{gz[2]}, " is not 8 (deflate)");
  const std::uint8_t flags = gz[3];
  if (flags & 0xE0) throw error_at(name, 3, "reserved flag bits are set in ", hex(flags, 2));

  enum : std::uint8_t { fhcrc = 2, fextra = 4, fname = 8, fcomment = 16 };
  const std::size_t trailer = gz.size() - 8;
  std::size_t pos = 10;
  if (flags & fextra) {
    if (trailer - pos < 2) throw error_at(name, pos, "FEXTRA length runs into the trailer");
    const std::size_t xlen = load_le(gz, pos, 2);
    pos += 2;
    if (trailer - pos < xlen) throw error_at(name, pos, "FEXTRA field of ", xlen, " bytes runs into the trailer");
    pos += xlen;
  }
  for (auto [flag, field] : {std::pair{fname, "FNAME"}, std::pair{fcomment, "FCOMMENT"}}) {
    if (!(flags & flag)) continue;
    std::size_t zero = pos;
    while (zero < trailer && gz[zero] != 0) ++zero;
    if (zero == trailer) throw error_at(name, pos, field, " has no terminating zero before the trailer");
    pos = zero + 1;
  }
  if (flags & fhcrc) {
    if (trailer - pos < 2) throw error_at(name, pos, "FHCRC runs into the trailer");
    const std::uint32_t stored = load_le(gz, pos, 2), computed = crc32(gz.first(pos)) & 0xFFFFu;
    if (stored != computed) {
      throw error_at(name, pos, "header CRC mismatch: stored ", hex(stored, 4), ", computed ", hex(computed, 4));
    }
    pos += 2;
  }
  return pos;
}

}  // namespace detail

// The uncompressed contents of the gzip file gz, at most max_output bytes. name (a file name) and
// the byte offset of the problem start every error message.
inline std::vector<std::uint8_t> gunzip(std::span<const std::uint8_t> gz, std::size_t max_output,
                                        const std::string& name = "gzip data") {
  using detail::error_at;
  const std::size_t pos = detail::gzip_data_start(gz, name), trailer = gz.size() - 8;
  const std::uint32_t stored_crc = detail::load_le(gz, trailer, 4), isize = detail::load_le(gz, trailer + 4, 4);
  const std::size_t limit = std::min<std::size_t>(max_output, INT_MAX);
  const std::size_t possible = max_deflate_ratio * (trailer - pos + 1);
  if (isize > possible) {
    throw error_at(name, trailer + 4, "ISIZE claims ", isize, " bytes, but ", trailer - pos,
                   " bytes of deflate data inflate to at most ", possible, " (truncated file?)");
  }
  if (isize > limit) {
    throw error_at(name, trailer + 4, "ISIZE claims ", isize, " bytes, more than the limit of ", limit);
  }
  if (gz.size() > INT_MAX) throw error_at(name, 0, "file of ", gz.size(), " bytes is over stb's 2 GiB limit");

  // The decoder reads the trailer too: stb's inflater stops early if it cannot look a few bytes
  // past the last code, and it ignores whatever follows the end-of-stream code.
  std::vector<std::uint8_t> out(std::max<std::size_t>(isize, 1));
  int n = stbi_zlib_decode_noheader_buffer(reinterpret_cast<char*>(out.data()), static_cast<int>(isize),
                                           reinterpret_cast<const char*>(gz.data() + pos),
                                           static_cast<int>(gz.size() - pos));
  if (n < 0) {  // stb does not say where, nor (for every error) why
    throw error_at(name, pos, "the deflate data is corrupt, truncated, or inflates to more than ISIZE = ", isize,
                   " bytes");
  }
  if (static_cast<std::uint32_t>(n) != isize) {
    throw error_at(name, trailer + 4, "ISIZE says ", isize, " bytes, the deflate data at byte ", pos, " inflates to ",
                   n, " (truncated file?)");
  }
  out.resize(isize);
  if (std::uint32_t crc = crc32(out); crc != stored_crc) {
    throw error_at(name, trailer, "CRC-32 mismatch: trailer says ", detail::hex(stored_crc, 8), ", data gives ",
                   detail::hex(crc, 8));
  }
  return out;
}

// A gzip file holding data: no optional fields, modification time 0 (so equal data gives equal
// files). level is stb's compression effort (5 and up; higher is smaller and slower).
inline std::vector<std::uint8_t> gzip(std::span<const std::uint8_t> data, int level = 8) {
  if (data.size() > INT_MAX)
    throw ValueError(duel::detail::cat("gzip: ", data.size(), " bytes is over stb's 2 GiB limit"));
  static const std::uint8_t empty_block[] = {0x03, 0x00};  // stb writes no block at all for empty input
  std::span<const std::uint8_t> deflate(empty_block);
  std::unique_ptr<unsigned char, decltype(&std::free)> z(nullptr, &std::free);
  if (!data.empty()) {
    int zlen = 0;
    z.reset(stbi_zlib_compress(const_cast<unsigned char*>(data.data()), static_cast<int>(data.size()), &zlen, level));
    if (!z || zlen < 6) throw IoError("gzip: stb_image_write's zlib compressor failed (out of memory?)");
    deflate = {z.get() + 2, static_cast<std::size_t>(zlen) - 6};  // drop the zlib header and Adler-32
  }
  // Header (deflate, no flags, no time, OS unknown), deflate data, trailer (CRC-32, ISIZE).
  std::vector<std::uint8_t> out(10 + deflate.size() + 8);
  const std::uint8_t header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
  std::copy_n(header, 10, out.begin());
  std::copy(deflate.begin(), deflate.end(), out.begin() + 10);
  detail::store_le32(out.data() + out.size() - 8, crc32(data));
  detail::store_le32(out.data() + out.size() - 4, static_cast<std::uint32_t>(data.size()));
  return out;
}

}  // namespace duel::data
