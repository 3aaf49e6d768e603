#include "duel/io/atomic_file.hpp"

#include <stdexcept>
#include <string>

#if __has_include(<sys/resource.h>)
#include <sys/resource.h>

#include <csignal>
#endif

#include "io/io_test.hpp"

using duel::IoError;
using duel::io::File;
using duel::io::write_file_atomically;
using duel::test::check_error;
using duel::test::read_bytes;

TEST_CASE("write_file_atomically creates and replaces a file, leaving no temporary behind") {
  duel::test::TempDir dir;
  const auto path = dir / "model.bin";
  write_file_atomically(path, "first version");
  CHECK(read_bytes(path) == "first version");
  write_file_atomically(path, [](File& out) {
    out.write("second ");
    out.write(std::string(100000, 'x'));
  });
  CHECK(read_bytes(path) == "second " + std::string(100000, 'x'));
  write_file_atomically(path, "");
  CHECK(read_bytes(path).empty());
  CHECK(dir.listing() == "model.bin");
}

TEST_CASE("write_file_atomically keeps the old file when the writer throws midway") {
  duel::test::TempDir dir;
  const auto path = dir / "checkpoint.safetensors";
  write_file_atomically(path, "the good checkpoint");
  auto failing = [&] {
    write_file_atomically(path, [](File& out) {
      out.write(std::string(200000, 'y'));  // more than one buffer: part of it reaches the temporary file
      throw std::runtime_error("out of coffee");
    });
  };
  CHECK_THROWS_WITH_AS(failing(), "out of coffee", std::runtime_error);  // the caller's exception, unchanged
  CHECK(read_bytes(path) == "the good checkpoint");
  CHECK(dir.listing() == "checkpoint.safetensors");
}

TEST_CASE("write_file_atomically names a missing folder, or a file in its place") {
  duel::test::TempDir dir;
  const auto path = dir / "runs" / "a.png";
  check_error<IoError>([&] { write_file_atomically(path, "x"); },
                       {"cannot write '", path.string(), "': folder '", (dir / "runs").string(), "' does not exist"});
  CHECK(dir.listing().empty());
  duel::test::write_bytes(dir / "runs", "a file, not a folder");
  check_error<IoError>([&] { write_file_atomically(path, "x"); }, {"folder '", "runs' is not a folder"});
  CHECK(dir.listing() == "runs");
}

TEST_CASE("write_file_atomically reports a failed rename and removes the temporary file") {
  duel::test::TempDir dir;
  std::filesystem::create_directories(dir / "taken" / "inside");  // a non-empty folder cannot be renamed over
  check_error<IoError>([&] { write_file_atomically(dir / "taken", "data"); },
                       {"cannot replace '", (dir / "taken").string(), "' with '", ".taken.tmp-"});
  CHECK(std::filesystem::is_directory(dir / "taken" / "inside"));
  CHECK(dir.listing() == "taken");
}

#if __has_include(<sys/resource.h>)
// A full disk, simulated with the file size limit (RLIMIT_FSIZE binds root too): writes past it
// fail with EFBIG.
TEST_CASE("write_file_atomically keeps the old file when the disk fills up") {
  duel::test::TempDir dir;
  const auto path = dir / "weights.bin";
  write_file_atomically(path, "old weights");
  rlimit saved{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 4096;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &small) == 0);
  std::string message;
  try {
    write_file_atomically(path, std::string(100000, 'z'));
  } catch (const IoError& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  CHECK_MESSAGE(message.find("cannot write '") != std::string::npos, message);
  CHECK_MESSAGE(message.find("weights.bin.tmp-") != std::string::npos, message);
  CHECK_MESSAGE(message.find("File too large") != std::string::npos, message);
  CHECK(read_bytes(path) == "old weights");
  CHECK(dir.listing() == "weights.bin");
}
#endif
