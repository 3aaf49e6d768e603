#include "duel/data/gzip.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "data/helpers.hpp"
#include "duel/tensor/random.hpp"

using duel::IoError;
using duel::data::crc32;
using duel::data::gunzip;
using duel::data::gzip;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes bytes_of(const std::string& s) { return Bytes(s.begin(), s.end()); }

// "Duel reads gzip files made by gzip(1).\n" compressed by GNU gzip -9: FNAME "hello.txt" is set.
const Bytes gnu_gzip = {0x1f, 0x8b, 0x08, 0x08, 0x37, 0x34, 0x0a, 0x6b, 0x02, 0x03, 0x68, 0x65, 0x6c, 0x6c,
                        0x6f, 0x2e, 0x74, 0x78, 0x74, 0x00, 0x73, 0x29, 0x4d, 0xcd, 0x51, 0x28, 0x4a, 0x4d,
                        0x4c, 0x29, 0x56, 0x48, 0xaf, 0xca, 0x2c, 0x50, 0x48, 0xcb, 0xcc, 0x49, 0x2d, 0x56,
                        0xc8, 0x4d, 0x4c, 0x49, 0x55, 0x48, 0xaa, 0x04, 0x0b, 0x69, 0x18, 0x6a, 0xea, 0x71,
                        0x01, 0x00, 0x9e, 0x0c, 0x71, 0x4a, 0x27, 0x00, 0x00, 0x00};

// Text with repeats and noise, so that the compressor uses matches and literals.
Bytes sample_data(std::size_t n) {
  duel::Generator gen(7);
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = static_cast<std::uint8_t>(i % 97 < 60 ? 'a' + i % 13 : gen.next_below(256));
  return out;
}

void set_le32(Bytes& b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::string gunzip_error(const Bytes& gz, std::size_t max_output = 1 << 20) {
  return duel::test::error_of([&] { gunzip(gz, max_output, "test.gz"); });
}

}  // namespace

TEST_CASE("crc32 matches the standard check value and continues over pieces") {
  CHECK(crc32(bytes_of("123456789")) == 0xCBF43926u);
  CHECK(crc32(Bytes{}) == 0u);
  Bytes data = sample_data(1000);
  std::span<const std::uint8_t> all(data);
  CHECK(crc32(all.subspan(300), crc32(all.first(300))) == crc32(all));
}

TEST_CASE("gunzip reads a file made by GNU gzip, skipping its FNAME") {
  CHECK(duel::data::is_gzip(gnu_gzip));
  CHECK(gunzip(gnu_gzip, 1000) == bytes_of("Duel reads gzip files made by gzip(1).\n"));
}

TEST_CASE("gzip and gunzip round-trip empty, small and large data") {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{5}, std::size_t{100000}}) {
    Bytes data = sample_data(n);
    Bytes gz = gzip(data);
    CHECK(gz.size() >= 18);
    CHECK(gz[3] == 0);  // no optional fields
    CHECK(gunzip(gz, n) == data);
  }
  Bytes zeros(200000, 0);
  Bytes gz = gzip(zeros);
  CHECK(gz.size() < 2000);
  CHECK(gunzip(gz, zeros.size()) == zeros);
}

TEST_CASE("gunzip skips FEXTRA, FNAME and FCOMMENT and checks FHCRC") {
  Bytes data = sample_data(3000);
  Bytes plain = gzip(data);
  Bytes gz(plain.begin(), plain.begin() + 10);
  gz[3] = 2 | 4 | 8 | 16;
  for (const Bytes& field : {Bytes{4, 0, 'A', 'B', 9, 9}, bytes_of(std::string("name.bin") + '\0'),
                             bytes_of(std::string("a comment") + '\0')}) {
    gz.insert(gz.end(), field.begin(), field.end());  // FEXTRA (length 4, 4 bytes), FNAME, FCOMMENT
  }
  std::uint32_t hcrc = crc32(gz) & 0xFFFF;
  gz.push_back(static_cast<std::uint8_t>(hcrc));
  gz.push_back(static_cast<std::uint8_t>(hcrc >> 8));
  const std::size_t hcrc_at = gz.size() - 2;
  gz.insert(gz.end(), plain.begin() + 10, plain.end());
  CHECK(gunzip(gz, data.size()) == data);

  gz[hcrc_at] ^= 1;
  CHECK(gunzip_error(gz) == "test.gz at byte " + std::to_string(hcrc_at) + ": header CRC mismatch: stored " +
                            duel::data::detail::hex(hcrc ^ 1, 4) + ", computed " + duel::data::detail::hex(hcrc, 4));
}

TEST_CASE("gunzip names the problem and its byte offset") {
  const Bytes data = sample_data(2000);
  const Bytes good = gzip(data);
  const std::size_t trailer = good.size() - 8;

  CHECK(gunzip_error(Bytes(good.begin(), good.begin() + 17)) ==
        "test.gz at byte 17: truncated gzip: a header and trailer need 18 bytes, found 17");

  Bytes bad = good;
  bad[1] = 0x8c;
  CHECK(gunzip_error(bad) == "test.gz at byte 0: not gzip: magic is 0x1f 0x8c, expected 0x1f 0x8b");

  bad = good;
  bad[2] = 9;
  CHECK(gunzip_error(bad) == "test.gz at byte 2: compression method 9 is not 8 (deflate)");

  bad = good;
  bad[3] = 0x20;
  CHECK(gunzip_error(bad) == "test.gz at byte 3: reserved flag bits are set in 0x20");

  bad = good;
  bad[3] = 8;  // FNAME, but no zero byte before the trailer
  std::fill(bad.begin() + 10, bad.end(), std::uint8_t{'x'});
  CHECK(gunzip_error(bad) == "test.gz at byte 10: FNAME has no terminating zero before the trailer");

  bad = good;
  bad[trailer] ^= 0xFF;
  CHECK(gunzip_error(bad).starts_with("test.gz at byte " + std::to_string(trailer) + ": CRC-32 mismatch: trailer says 0x"));

  bad = good;
  set_le32(bad, trailer + 4, static_cast<std::uint32_t>(data.size() + 1));
  CHECK(gunzip_error(bad) == "test.gz at byte " + std::to_string(trailer + 4) + ": ISIZE says 2001 bytes, the deflate " +
                             "data at byte 10 inflates to 2000 (truncated file?)");

  bad = good;
  set_le32(bad, trailer + 4, static_cast<std::uint32_t>(data.size() - 1));
  CHECK(gunzip_error(bad) ==
        "test.gz at byte 10: the deflate data is corrupt, truncated, or inflates to more than ISIZE = 1999 bytes");

  CHECK(gunzip_error(good, 1999) ==
        "test.gz at byte " + std::to_string(trailer + 4) + ": ISIZE claims 2000 bytes, more than the limit of 1999");
}

TEST_CASE("a huge ISIZE in a tiny file is an error, not an allocation") {
  Bytes gz = gzip(bytes_of("tiny"));
  set_le32(gz, gz.size() - 4, 0xFFFFFFF0u);
  std::string body = std::to_string(gz.size() - 18);
  CHECK(gunzip_error(gz, std::size_t{1} << 40) == "test.gz at byte " + std::to_string(gz.size() - 4) +
                                                  ": ISIZE claims 4294967280 bytes, but " + body +
                                                  " bytes of deflate data inflate to at most " +
                                                  std::to_string(1032 * (gz.size() - 17)) + " (truncated file?)");
}

TEST_CASE("truncated or corrupted deflate data is an error, never a crash") {
  const Bytes data = sample_data(4000);
  const Bytes good = gzip(data);
  // Every truncation fails.
  for (std::size_t n = 0; n < good.size(); ++n) {
    CHECK_THROWS_AS(gunzip(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n)), 1 << 20), IoError);
  }
  // Every single-byte change either fails or (in the ignored time, XFL and OS bytes) changes nothing.
  int accepted = 0;
  for (std::size_t at = 0; at < good.size(); ++at) {
    Bytes bad = good;
    bad[at] ^= 0x5A;
    Bytes out;
    CHECK_NOTHROW(try { out = gunzip(bad, 1 << 20); } catch (const IoError&){});
    if (!out.empty()) {
      CHECK(out == data);
      CHECK((at >= 4 && at < 10));
      ++accepted;
    }
  }
  CHECK(accepted == 6);
  // A reserved block type (BTYPE = 3) is rejected by the decoder.
  Bytes bad = good;
  bad[10] = 0x07;
  CHECK(gunzip_error(bad).starts_with("test.gz at byte 10: the deflate data is corrupt, truncated, or inflates"));
}
