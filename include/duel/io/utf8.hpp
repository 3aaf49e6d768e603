// UTF-8: checking and encoding, for JSON headers and SVG text.
//
// A code point U is stored in 1 to 4 bytes: U < 0x80 as itself; otherwise a lead byte 110xxxxx,
// 1110xxxx or 11110xxx carrying the top bits, then 10xxxxxx continuation bytes with 6 bits each.
// Valid UTF-8 (RFC 3629) also forbids the longer-than-needed ("overlong") forms, the surrogates
// U+D800..U+DFFF (they only exist in UTF-16) and anything above U+10FFFF.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace duel::io::detail {

// The length of the valid UTF-8 sequence starting at text[pos], or 0 if none starts there.
inline std::size_t utf8_length_at(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) return 1;
  const std::size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (n == 0 || lead > 0xF4 || text.size() - pos < n) return 0;
  std::uint32_t code = lead & (0x7Fu >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto next = static_cast<unsigned char>(text[pos + k]);
    if ((next & 0xC0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3Fu);
  }
  constexpr std::array<std::uint32_t, 5> smallest{0, 0, 0x80, 0x800, 0x10000};
  if (code < smallest[n] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return n;
}

// The offset of the first byte that does not start a valid UTF-8 sequence, or npos if all are valid.
inline std::size_t first_invalid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t n = utf8_length_at(text, pos);
    if (n == 0) return pos;
    pos += n;
  }
  return std::string_view::npos;
}

// Appends code point `code` (at most 0x10FFFF, not a surrogate) to out as UTF-8.
inline void append_utf8(std::string& out, std::uint32_t code) {
  auto byte = [&](std::uint32_t b) { out.push_back(static_cast<char>(b)); };
  if (code < 0x80) {
    byte(code);
  } else if (code < 0x800) {
    byte(0xC0 | (code >> 6));
    byte(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    byte(0xE0 | (code >> 12));
    byte(0x80 | ((code >> 6) & 0x3F));
    byte(0x80 | (code & 0x3F));
  } else {
    byte(0xF0 | (code >> 18));
    byte(0x80 | ((code >> 12) & 0x3F));
    byte(0x80 | ((code >> 6) & 0x3F));
    byte(0x80 | (code & 0x3F));
  }
}

}  // namespace duel::io::detail
