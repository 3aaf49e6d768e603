// Helpers for the data tests: byte-vector file reads and writes, and the message of an error.
// TempDir comes from the io tests' helpers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "duel/tensor/error.hpp"
#include "io/io_test.hpp"

namespace duel::test {

inline void write_u8(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE_MESSAGE(out, "cannot write ", path.string());
}

inline std::vector<std::uint8_t> read_u8(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read ", path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The message of the duel::Error that f() throws, or "" if it throws none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const duel::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace duel::test
