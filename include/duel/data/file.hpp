// read_file: a whole file in memory, its size checked before anything is allocated, so that a
// reader can refuse a file too large to be what it claims; and error_at, the error for bad contents.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "duel/io/file.hpp"
#include "duel/tensor/error.hpp"

namespace duel::data::detail {

// "<name> at byte <offset>: <what...>", the IoError for a file whose contents are wrong.
template <class... What>
IoError error_at(const std::string& name, std::uint64_t offset, const What&... what) {
  return IoError(duel::detail::cat(name, " at byte ", offset, ": ", what...));
}

// The bytes of the file at path; an IoError naming it if it is missing, not a regular file, or
// larger than max_bytes.
inline std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw IoError(duel::detail::cat("cannot read '", path.string(), "': ", ec ? ec.message() : "not a regular file"));
  }
  io::File file(path, "rb");
  const std::uint64_t size = file.size();
  if (size > max_bytes) {
    throw IoError(duel::detail::cat("cannot read '", path.string(), "': it is ", size,
                                    " bytes, more than the limit of ", max_bytes));
  }
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  file.read_exact(bytes.data(), bytes.size());
  return bytes;
}

}  // namespace duel::data::detail
