#include "duel/io/cli.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "io/io_test.hpp"

using duel::io::ArgParser;
using duel::io::UsageError;
using duel::test::check_error;
using duel::test::count;

namespace {

// The flags of a small training program, with their defaults.
struct Flags {
  std::int64_t epochs = 5;
  double lr = 2e-4;
  std::filesystem::path out = "out/run";
  std::string name = "dcgan";
  bool quiet = false;

  ArgParser parser() {
    ArgParser args("train", "Trains something.");
    args.option("--epochs", epochs, "N", "passes over the data", 1)
        .option("--lr", lr, "X", "learning rate", 0.0)
        .option("--out", out, "DIR", "where the files go")
        .option("--name", name, "TEXT", "a label (default: the model's)")
        .flag("--quiet", quiet, "print nothing");
    return args;
  }

  // Parses a command line given without the program name; returns parse()'s answer.
  bool parse(std::vector<const char*> argv) {
    ArgParser args = parser();
    argv.insert(argv.begin(), "train");
    return args.parse(static_cast<int>(argv.size()), argv.data());
  }
};

// Runs run_main on a command line and captures what it writes to stderr (and to stdout, to keep
// the test's output clean).
int run(std::vector<const char*> argv, std::string& err, const std::function<int()>& body) {
  Flags flags;
  ArgParser args = flags.parser();
  argv.insert(argv.begin(), "train");
  std::ostringstream captured, printed;
  std::streambuf* old_err = std::cerr.rdbuf(captured.rdbuf());
  std::streambuf* old_out = std::cout.rdbuf(printed.rdbuf());
  const int status = duel::io::run_main(args, static_cast<int>(argv.size()), argv.data(), body);
  std::cerr.rdbuf(old_err);
  std::cout.rdbuf(old_out);
  err = captured.str();
  return status;
}

}  // namespace

TEST_CASE("ArgParser: values as separate words or after '=', and switches") {
  Flags f;
  REQUIRE(f.parse({"--epochs", "12", "--lr=0.001", "--out", "runs/a b", "--quiet", "--name="}));
  CHECK(f.epochs == 12);
  CHECK(f.lr == doctest::Approx(0.001));
  CHECK(f.out == std::filesystem::path("runs/a b"));
  CHECK(f.quiet);
  CHECK(f.name.empty());  // '--name=' sets an empty value; it does not swallow the next word
}

TEST_CASE("ArgParser: no flags keep the defaults; the last of a repeated flag wins") {
  Flags f;
  REQUIRE(f.parse({}));
  CHECK(f.epochs == 5);
  CHECK(f.name == "dcgan");
  CHECK_FALSE(f.quiet);
  REQUIRE(f.parse({"--epochs", "2", "--epochs", "3"}));
  CHECK(f.epochs == 3);
}

TEST_CASE("ArgParser: bad command lines are UsageErrors naming the flag and the value") {
  Flags f;
  check_error<UsageError>([&] { f.parse({"--bogus"}); }, {"unknown option '--bogus'"});
  check_error<UsageError>([&] { f.parse({"--epochs"}); }, {"--epochs needs a value (N)"});
  check_error<UsageError>([&] { f.parse({"--epochs", "2.5"}); }, {"--epochs expects a whole number, got '2.5'"});
  check_error<UsageError>([&] { f.parse({"--epochs", "0"}); }, {"--epochs must be at least 1, got 0"});
  check_error<UsageError>([&] { f.parse({"--lr", "fast"}); }, {"--lr expects a number, got 'fast'"});
  check_error<UsageError>([&] { f.parse({"--lr", "-1"}); }, {"--lr must be at least 0"});
  check_error<UsageError>([&] { f.parse({"--quiet=yes"}); }, {"--quiet takes no value"});
}

TEST_CASE("ArgParser: --help lists every flag with its default, once") {
  Flags f;
  const std::string usage = f.parser().usage();
  CHECK(usage.find("usage: train [options]") == 0);
  CHECK(usage.find("--epochs N") != std::string::npos);
  CHECK(usage.find("passes over the data (default: 5)") != std::string::npos);
  CHECK(usage.find("(default: out/run)") != std::string::npos);
  CHECK(count(usage, "(default:") == 4);  // --name states its own default; --quiet has none
}

TEST_CASE("ArgParser: a flag defined twice is a programming error") {
  std::int64_t n = 0;
  ArgParser args("p", "d");
  args.option("--n", n, "N", "count");
  check_error<duel::ValueError>([&] { args.option("--n", n, "N", "again"); }, {"--n defined twice"});
}

TEST_CASE("run_main: exit 0 after --help, 2 and one line for a bad flag, 1 and one line for any other error") {
  std::string err;
  bool ran = false;
  const auto body = [&] {
    ran = true;
    return 0;
  };
  CHECK(run({"--help"}, err, body) == 0);
  CHECK_FALSE(ran);
  CHECK(err.empty());
  CHECK(run({"--epochs", "x"}, err, body) == 2);
  CHECK_FALSE(ran);
  CHECK(err == "train: error: --epochs expects a whole number, got 'x'\n");
  CHECK(run({}, err, [] () -> int { throw duel::IoError("cannot open 'a.png'"); }) == 1);
  CHECK(err == "train: error: cannot open 'a.png'\n");
  CHECK(run({}, err, [] { return 7; }) == 7);
  CHECK(err.empty());
}
