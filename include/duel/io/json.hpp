// JSON, the strict and bounded subset that safetensors headers use: objects, arrays, strings and
// non-negative integers.
//
// JsonReader is a pull parser: the caller says what it expects next (an object, a key, a string,
// an integer) and the reader checks that the text has exactly that, so it builds no tree and
// allocates nothing beyond the strings it returns. A 100 MB hostile header therefore costs at most
// what the caller chooses to keep. Nesting is capped at max_depth; there is no recursion. Every
// error is an IoError naming the byte offset and what was expected versus found, e.g.
//   "safetensors 'g.safetensors': header at byte 21: expected ':' after a key, found '}'"
// json_quote goes the other way, writing a string with the escapes JSON requires.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "duel/io/utf8.hpp"
#include "duel/tensor/error.hpp"

namespace duel::io {

class JsonReader {
 public:
  static constexpr int max_depth = 16;

  // text must outlive the reader. context starts every error message (e.g. a file name); offset
  // is added to the byte positions it gives, so that they can count from the start of a file.
  explicit JsonReader(std::string_view text, std::string context = "JSON", std::uint64_t offset = 0)
      : text_(text), context_(std::move(context)), offset_(offset) {}

  // Consumes '{'; then next_key() until it returns false.
  void begin_object(std::string_view what = "an object") { open('{', what); }
  // Reads the next key of the innermost object into key and consumes the ':' after it; false
  // (after consuming the '}') when the object ends. The caller then reads the key's value.
  bool next_key(std::string& key) {
    if (!next_member('}')) return false;
    key = read_string("a string key");
    skip_space();
    expect(':', "':' after a key");
    return true;
  }

  // Consumes '['; then next_item() until it returns false, reading one value after each true.
  void begin_array(std::string_view what = "an array") { open('[', what); }
  bool next_item() { return next_member(']'); }

  std::string read_string(std::string_view what = "a string") {
    skip_space();
    expect('"', what);
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) fail("the string does not end");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') break;
      if (c == '\\') {
        read_escape(out);
      } else if (c < 0x20) {
        fail("a control character in a string must be escaped");
      } else {
        const std::size_t n = detail::utf8_length_at(text_, pos_);
        if (n == 0) fail("invalid UTF-8 in a string");
        out.append(text_.substr(pos_, n));
        pos_ += n;
      }
    }
    ++pos_;
    return out;
  }

  // A non-negative integer that fits in 64 bits, without sign, fraction or exponent.
  std::uint64_t read_uint(std::string_view what = "a non-negative integer") {
    skip_space();
    const std::uint64_t start = position();
    if (!is_digit(peek())) fail(duel::detail::cat("expected ", what, ", found ", found()));
    if (peek() == '0' && pos_ + 1 < text_.size() && is_digit(text_[pos_ + 1])) fail("a number has a leading zero");
    std::uint64_t value = 0;
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    for (; is_digit(peek()); ++pos_) {
      const auto digit = static_cast<std::uint64_t>(text_[pos_] - '0');
      if (value > (max - digit) / 10) fail_at(start, duel::detail::cat("expected ", what, ", found one over 2^64-1"));
      value = value * 10 + digit;
    }
    if (peek() == '.' || peek() == 'e' || peek() == 'E') {
      fail_at(start, duel::detail::cat("expected ", what, ", found a fraction"));
    }
    return value;
  }

  // Checks that only white space is left.
  void finish() {
    skip_space();
    if (pos_ < text_.size()) fail(duel::detail::cat("expected the end of the JSON text, found ", found()));
  }

  // The position of the next byte, counted as in error messages.
  std::uint64_t position() const { return offset_ + pos_; }

  // Throws an IoError "<context> at byte <position>: <message>", for errors the caller finds.
  [[noreturn]] void fail(std::string_view message) const { fail_at(position(), message); }
  [[noreturn]] void fail_at(std::uint64_t position, std::string_view message) const {
    throw IoError(duel::detail::cat(context_, " at byte ", position, ": ", message));
  }

 private:

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  std::string found() const {
    if (pos_ >= text_.size()) return "the end of the text";
    const auto c = static_cast<unsigned char>(text_[pos_]);
    if (c >= 0x20 && c < 0x7F) return duel::detail::cat("'", text_[pos_], "'");
    constexpr std::string_view hex = "0123456789abcdef";
    return duel::detail::cat("byte 0x", hex[c >> 4], hex[c & 15]);
  }

  void skip_space() {
    while (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') ++pos_;
  }

  void expect(char c, std::string_view what) {
    if (peek() != c) fail(duel::detail::cat("expected ", what, ", found ", found()));
    ++pos_;
  }

  void open(char bracket, std::string_view what) {
    skip_space();
    expect(bracket, what);
    if (depth_ == max_depth) fail_at(position() - 1, duel::detail::cat("nesting deeper than ", max_depth, " levels"));
    first_[depth_++] = true;
  }

  // Before each member of the innermost object or array: false (after consuming it) at the
  // closing bracket, else consumes the ',' that separates members.
  bool next_member(char close) {
    if (depth_ == 0) fail("next_key or next_item called outside an object or array");
    skip_space();
    const bool first = std::exchange(first_[depth_ - 1], false);
    if (peek() == close) {
      ++pos_;
      --depth_;
      return false;
    }
    if (!first) {
      expect(',', duel::detail::cat("',' or '", close, "'"));
      skip_space();
      if (peek() == close) fail("a trailing comma");
    }
    return true;
  }

  void read_escape(std::string& out) {
    const std::size_t start = pos_++;
    const char c = peek();
    ++pos_;
    switch (c) {
      case '"': case '\\': case '/': out.push_back(c); return;
      case 'b': out.push_back('\b'); return;
      case 'f': out.push_back('\f'); return;
      case 'n': out.push_back('\n'); return;
      case 'r': out.push_back('\r'); return;
      case 't': out.push_back('\t'); return;
      case 'u': break;
      default: fail_at(offset_ + start, "an unknown escape sequence");
    }
    // \uXXXX is a UTF-16 unit: characters above U+FFFF come as a surrogate pair, a high
    // surrogate D800..DBFF then a low one DC00..DFFF, giving 0x10000 + (high - D800) * 0x400 + (low - DC00).
    std::uint32_t code = read_hex4();
    if (code >= 0xDC00 && code <= 0xDFFF) fail_at(offset_ + start, "a lone low surrogate");
    if (code >= 0xD800 && code <= 0xDBFF) {
      if (text_.substr(pos_, 2) != "\\u") fail_at(offset_ + start, "a high surrogate without a low one after it");
      pos_ += 2;
      const std::uint32_t low = read_hex4();
      if (low < 0xDC00 || low > 0xDFFF) fail_at(offset_ + start, "a high surrogate without a low one after it");
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    detail::append_utf8(out, code);
  }

  std::uint32_t read_hex4() {
    std::uint32_t code = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = peek();
      const int digit = is_digit(c)              ? c - '0'
                        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                                 : -1;
      if (digit < 0) fail(duel::detail::cat("expected 4 hex digits after \\u, found ", found()));
      code = code * 16 + static_cast<std::uint32_t>(digit);
    }
    return code;
  }

  std::string_view text_;
  std::string context_;
  std::uint64_t offset_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::array<bool, max_depth> first_{};
};

// s as a JSON string literal: quoted, with '"', '\' and control characters escaped (the short
// forms \b \f \n \r \t where JSON has them, \u00XX otherwise). s must be valid UTF-8; JSON text
// is, and a safetensors reader would refuse the file.
inline std::string json_quote(std::string_view s) {
  if (const std::size_t bad = detail::first_invalid_utf8(s); bad != std::string_view::npos) {
    throw ValueError(duel::detail::cat("json_quote: invalid UTF-8 at byte ", bad, " of \"", s.substr(0, bad), "...\""));
  }
  constexpr std::string_view hex = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 15];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace duel::io
