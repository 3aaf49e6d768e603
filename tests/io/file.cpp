#include "duel/io/file.hpp"

#include "io/io_test.hpp"

using duel::IoError;
using duel::io::File;
using duel::test::check_error;

TEST_CASE("File reads, seeks and reports its size") {
  duel::test::TempDir dir;
  duel::test::write_bytes(dir / "a.bin", "0123456789");
  File file(dir / "a.bin", "rb");
  CHECK(file.size() == 10);
  file.seek(4);
  CHECK(file.tell() == 4);
  char buffer[3] = {};
  file.read_exact(buffer, 3);
  CHECK(std::string(buffer, 3) == "456");
  CHECK(file.size() == 10);
  CHECK(file.tell() == 7);  // size() keeps the position
  CHECK(file.read_rest() == "789");
  CHECK(file.read(buffer, 3) == 0);
}

TEST_CASE("File names the file and the OS's reason when it fails") {
  duel::test::TempDir dir;
  const auto missing = dir / "missing.bin";
  check_error<IoError>([&] { File(missing, "rb"); },
                       {"cannot open '", missing.string(), "' for reading: No such file or directory"});
  check_error<IoError>([&] { File(dir / "no" / "such" / "x", "wb"); }, {"for writing: No such file or directory"});

  duel::test::write_bytes(dir / "a.bin", "abc");
  check_error<IoError>([&] { File(dir / "a.bin", "wbx"); }, {"for creating: File exists"});

  File file(dir / "a.bin", "rb");
  file.seek(1);
  char buffer[8];
  check_error<IoError>([&] { file.read_exact(buffer, 8); },
                       {"a.bin' ends at byte 3, but 8 bytes were expected at byte 1"});
}

TEST_CASE("File writes, appends and closes") {
  duel::test::TempDir dir;
  {
    File file(dir / "out.txt", "wb");
    file.write("hello ");
    file.write(std::string_view("world"));
    file.close();
    file.close();  // a second close does nothing
  }
  {
    File file(dir / "out.txt", "ab");
    file.write("!");
    file.sync();
  }
  CHECK(duel::test::read_bytes(dir / "out.txt") == "hello world!");

  File moved = File(dir / "out.txt", "rb");
  File other(dir / "out.txt", "rb");
  other = std::move(moved);
  CHECK(other.read_rest() == "hello world!");
}
