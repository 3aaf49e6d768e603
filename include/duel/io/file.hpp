// File: a std::FILE that reports every failure as an IoError naming the file and the operating
// system's reason (strerror), e.g. "cannot open 'runs/log.csv' for appending: No such file or
// directory". Closing happens in the destructor too, but only close() reports errors, and a
// writer must call it: buffered data that cannot be written is only noticed there.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>
#define DUEL_IO_POSIX 1
#endif

#include "duel/tensor/error.hpp"

namespace duel::io {

class File {
 public:
  // mode as for std::fopen: "rb" reads, "wb" truncates, "ab" appends, "wbx" creates a new file
  // and fails if one exists.
  File(std::filesystem::path path, const char* mode) : path_(std::move(path)) {
    file_ = std::fopen(path_.string().c_str(), mode);
    if (!file_) fail("cannot open", purpose(mode));
  }
  File(File&& other) noexcept : path_(std::move(other.path_)), file_(std::exchange(other.file_, nullptr)) {}
  File& operator=(File&& other) noexcept {
    std::swap(path_, other.path_);
    std::swap(file_, other.file_);
    return *this;
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File() {
    if (file_) std::fclose(file_);
  }

  const std::filesystem::path& path() const { return path_; }

  void write(const void* data, std::size_t size) {
    if (size > 0 && std::fwrite(data, 1, size, file_) != size) fail("cannot write");
  }
  void write(std::string_view text) { write(text.data(), text.size()); }

  // Reads up to size bytes and returns how many were read: fewer only at the end of the file.
  std::size_t read(void* data, std::size_t size) {
    const std::size_t n = size > 0 ? std::fread(data, 1, size, file_) : 0;
    if (n < size && std::ferror(file_)) fail("cannot read");
    return n;
  }

  // Reads exactly size bytes, or throws an IoError saying where the file ended.
  void read_exact(void* data, std::size_t size) {
    const std::uint64_t at = tell();
    const std::size_t n = read(data, size);
    if (n < size) {
      throw IoError(duel::detail::cat("'", path_.string(), "' ends at byte ", at + n, ", but ", size,
                                      " bytes were expected at byte ", at));
    }
  }

  // Everything from the current position to the end of the file.
  std::string read_rest() {
    std::string out;
    char buffer[65536];
    while (std::size_t n = read(buffer, sizeof buffer)) out.append(buffer, n);
    return out;
  }

  void seek(std::uint64_t offset) {
#if defined(_WIN32)
    const int rc = _fseeki64(file_, static_cast<__int64>(offset), SEEK_SET);
#else
    const int rc = fseeko(file_, static_cast<off_t>(offset), SEEK_SET);
#endif
    if (rc != 0) fail("cannot seek in");
  }

  std::uint64_t tell() {
#if defined(_WIN32)
    const auto pos = _ftelli64(file_);
#else
    const auto pos = ftello(file_);
#endif
    if (pos < 0) fail("cannot get the position in");
    return static_cast<std::uint64_t>(pos);
  }

  // The file's size in bytes; the position is kept.
  std::uint64_t size() {
    const std::uint64_t pos = tell();
#if defined(_WIN32)
    const int rc = _fseeki64(file_, 0, SEEK_END);
#else
    const int rc = fseeko(file_, 0, SEEK_END);
#endif
    if (rc != 0) fail("cannot seek in");
    const std::uint64_t end = tell();
    seek(pos);
    return end;
  }

  // Hands buffered data to the operating system: it survives a crash of this program.
  void flush() {
    if (std::fflush(file_) != 0) fail("cannot write");
  }

  // Flushes, then asks the operating system to put the data on disk (fsync, where there is one):
  // it survives a power cut too.
  void sync() {
    flush();
#ifdef DUEL_IO_POSIX
    if (::fsync(::fileno(file_)) != 0) fail("cannot sync");
#endif
  }

  void close() {
    std::FILE* f = std::exchange(file_, nullptr);
    if (f && std::fclose(f) != 0) fail("cannot close");
  }

 private:
  static const char* purpose(std::string_view mode) {
    if (mode.find('x') != std::string_view::npos) return " for creating";
    if (mode.front() == 'a') return " for appending";
    return mode.front() == 'r' ? " for reading" : " for writing";
  }

  // Throws "<what> '<path>'<suffix>: <the OS's reason>"; errno is read first, before anything can change it.
  [[noreturn]] void fail(const char* what, const char* suffix = "") const {
    const int error = errno;
    const char* reason = error ? std::strerror(error) : "unknown error";
    throw IoError(duel::detail::cat(what, " '", path_.string(), "'", suffix, ": ", reason));
  }

  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

}  // namespace duel::io
