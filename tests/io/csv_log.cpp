#include "duel/io/csv_log.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "io/io_test.hpp"

using duel::io::CsvLog;
using duel::test::check_error;
using duel::test::read_bytes;
using duel::test::write_bytes;

TEST_CASE("CsvLog writes a header and rows, each flushed as it is written") {
  duel::test::TempDir dir;
  const auto path = dir / "log.csv";
  CsvLog log(path, {"step", "d_loss", "g_loss", "d_x", "d_g_z"});
  CHECK(read_bytes(path) == "step,d_loss,g_loss,d_x,d_g_z\n");
  log.add_row(1200, 0.6931471805599453, -1.5e-7, NAN, INFINITY);
  CHECK(read_bytes(path) == "step,d_loss,g_loss,d_x,d_g_z\n1200,0.693147,-1.5e-07,nan,inf\n");  // before closing
  const std::vector<double> row{1e16, 0.1f, -3.0, 2.5, -INFINITY};
  log.add_row(row);
  CHECK(read_bytes(path) == "step,d_loss,g_loss,d_x,d_g_z\n1200,0.693147,-1.5e-07,nan,inf\n1e+16,0.1,-3,2.5,-inf\n");
  CHECK(log.columns().size() == 5);
  CHECK(log.path() == path);
  check_error<duel::ValueError>([&] { log.add_row(1, 2); },
                                {"a row of 2 values for 5 columns (step,d_loss,g_loss,d_x,d_g_z)"});
}

TEST_CASE("CsvLog without append starts the file afresh") {
  duel::test::TempDir dir;
  write_bytes(dir / "log.csv", "old,stuff\n1,2\n");
  CsvLog log(dir / "log.csv", {"step", "loss"});
  log.add_row(1, 0.5);
  CHECK(read_bytes(dir / "log.csv") == "step,loss\n1,0.5\n");
}

TEST_CASE("CsvLog in append mode keeps the rows of a file with the same header") {
  duel::test::TempDir dir;
  const auto path = dir / "log.csv";
  {
    CsvLog log(path, {"step", "loss"}, true);  // no file yet: a new one
    log.add_row(1, 0.5);
  }
  {
    CsvLog log(path, {"step", "loss"}, true);
    log.add_row(2, 0.25);
  }
  CHECK(read_bytes(path) == "step,loss\n1,0.5\n2,0.25\n");

  write_bytes(path, "");
  CsvLog(path, {"step", "loss"}, true).add_row(3, 1);
  CHECK(read_bytes(path) == "step,loss\n3,1\n");
}

TEST_CASE("CsvLog in append mode cuts a row a crash left half written") {
  duel::test::TempDir dir;
  const auto path = dir / "log.csv";
  write_bytes(path, "step,loss\n1,0.5\n2,0.2");
  CsvLog(path, {"step", "loss"}, true).add_row(2, 0.25);
  CHECK(read_bytes(path) == "step,loss\n1,0.5\n2,0.25\n");
}

TEST_CASE("CsvLog in append mode refuses a file with another header and leaves it alone") {
  duel::test::TempDir dir;
  const auto path = dir / "log.csv";
  write_bytes(path, "step,loss\n1,0.5\n");
  check_error<duel::IoError>(
      [&] {
        CsvLog(path, {"step", "loss", "fid"}, true);
      },
      {"cannot append, its header is 'step,loss' but this log's columns are 'step,loss,fid'"});
  check_error<duel::IoError>([&] { CsvLog(path, {"step"}, true); }, {"its header is 'step,loss'"});
  CHECK(read_bytes(path) == "step,loss\n1,0.5\n");
}

TEST_CASE("CsvLog quotes column names that need it, and compares them quoted") {
  duel::test::TempDir dir;
  const auto path = dir / "log.csv";
  const std::vector<std::string> columns{"a,b", "say \"hi\"", "plain"};
  CsvLog(path, columns).add_row(1, 2, 3);
  CsvLog(path, columns, true).add_row(4, 5, 6);
  CHECK(read_bytes(path) == "\"a,b\",\"say \"\"hi\"\"\",plain\n1,2,3\n4,5,6\n");
}

TEST_CASE("CsvLog names the file it cannot open") {
  duel::test::TempDir dir;
  check_error<duel::IoError>([&] { CsvLog(dir / "missing" / "log.csv", {"step"}); },
                             {"cannot open '", "log.csv' for writing: No such file or directory"});
  check_error<duel::ValueError>([&] { CsvLog(dir / "log.csv", {}); }, {"CsvLog: no columns"});
}
