// Helpers shared by the io tests: a temporary folder per test, whole-file reads and writes, and
// checks on error messages.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <set>
#include <string>
#include <string_view>

#include "duel/tensor/error.hpp"

namespace duel::test {

// A new, empty folder, removed with its contents when the test ends.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> count{0};
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    path_ = std::filesystem::temp_directory_path() / detail::cat("duel-io-test-", now, "-", count++);
    std::filesystem::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // The names of the files in the folder, sorted.
  std::string listing() const {
    std::set<std::string> sorted;
    for (const auto& entry : std::filesystem::directory_iterator(path_))
      sorted.insert(entry.path().filename().string());
    std::string names;
    for (const std::string& name : sorted) {
      if (!names.empty()) names += ' ';
      names += name;
    }
    return names;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, "cannot read ", path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE_MESSAGE(out, "cannot write ", path.string());
}

// How many times part occurs in text.
inline std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
  return n;
}

// Runs f, which must throw an E, and checks that the message contains every one of parts.
// Returns the message.
template <class E, class F>
std::string check_error(F&& f, std::initializer_list<std::string_view> parts) {
  std::string message = "(no exception)";
  try {
    f();
  } catch (const E& e) {
    message = e.what();
  }
  for (std::string_view part : parts) {
    CHECK_MESSAGE(message.find(part) != std::string::npos, "'", part, "' is not in: ", message);
  }
  return message;
}

}  // namespace duel::test
