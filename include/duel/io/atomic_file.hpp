// write_file_atomically: replace a file so that anyone reading it, and a crash at any moment, sees
// either the whole old contents or the whole new ones, never a mix or a truncated file.
//
// The recipe: write a temporary file in the same folder (a rename is atomic only within one file
// system), flush it to disk (fsync), then rename it over the target, which swaps the two in one
// step; finally sync the folder so that the rename itself is on disk. If anything fails, the
// temporary file is removed and the old file is left as it was.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "duel/io/file.hpp"

namespace duel::io {
namespace detail {

// "<folder>/.<name>.tmp-<process>-<count>": unique among this program's writes, and left behind
// only by a crash, as a hidden file next to the target.
inline std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  static std::atomic<unsigned> count{0};
#ifdef DUEL_IO_POSIX
  const long process = static_cast<long>(::getpid());
#else
  const long process = 0;
#endif
  std::filesystem::path name = ".";
  name += path.filename();
  name += duel::detail::cat(".tmp-", process, "-", count++);
  return path.parent_path() / name;
}

inline void sync_folder([[maybe_unused]] const std::filesystem::path& folder) {
#ifdef DUEL_IO_POSIX
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
#endif
}

}  // namespace detail

// Writes the file at path with the bytes that fill() writes to its File argument. Exceptions
// thrown by fill() propagate unchanged, after the temporary file is removed. The folder must
// exist; creating it is the caller's choice.
inline void write_file_atomically(const std::filesystem::path& path, const std::function<void(File&)>& fill) {
  namespace fs = std::filesystem;
  const fs::path folder = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    throw IoError(duel::detail::cat("cannot write '", path.string(), "': folder '", folder.string(), "' ",
                                    fs::exists(folder, error) ? "is not a folder" : "does not exist"));
  }
  const fs::path temporary = detail::temporary_path_for(path);
  try {
    {
      File file(temporary, "wbx");
      fill(file);
      file.sync();
      file.close();
    }
    fs::rename(temporary, path, error);
    if (error) {
      throw IoError(duel::detail::cat("cannot replace '", path.string(), "' with '", temporary.string(),
                                      "': ", error.message()));
    }
  } catch (...) {
    fs::remove(temporary, error);
    throw;
  }
  detail::sync_folder(folder);
}

inline void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  write_file_atomically(path, [bytes](File& out) { out.write(bytes); });
}

}  // namespace duel::io
