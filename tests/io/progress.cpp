#include "duel/io/progress.hpp"

#include <sstream>
#include <string>

#include "io/io_test.hpp"

using duel::io::ProgressBar;
using duel::io::ProgressOptions;
using duel::test::count;

namespace {

// Options with a clock the test moves by hand.
ProgressOptions fake(double& now, bool terminal) {
  ProgressOptions options;
  options.items_per_step = 64;
  options.unit = "img";
  options.terminal = terminal;
  options.clock = [&now] { return now; };
  return options;
}

}  // namespace

TEST_CASE("ProgressBar's line shows the bar, the fields, the rate and the times") {
  double now = 100.0;
  std::ostringstream out;
  ProgressBar bar(100, out, fake(now, false));
  CHECK(bar.line(10, 101.0, {{"D", 0.69314718}, {"G", 0.71}, {"D(x)", 0.5}}) ==
        "10/100 [##----------------------]  10% | D 0.6931 G 0.71 D(x) 0.5 | 640 img/s | 0:00:01 < 0:00:09");
  CHECK(bar.line(0, 100.0) == "0/100 [------------------------]   0% | ? img/s | 0:00:00 < ?:??:??");
  CHECK(bar.line(100, 100.0 + 3725) == "100/100 [########################] 100% | 1.7 img/s | 1:02:05 < 0:00:00");
}

TEST_CASE("ProgressBar outside a terminal prints a line every 10 % and every 15 s, and the last") {
  double now = 0.0;
  std::ostringstream out;
  {
    ProgressBar bar(100, out, fake(now, false));
    for (int step = 1; step <= 100; ++step) {
      now += step == 42 ? 20.0 : 0.1;  // one slow step
      bar.update(step, {{"loss", 1.0 / step}});
    }
    bar.update(100);  // after the end: nothing
  }
  const std::string text = out.str();
  CHECK(count(text, "\n") == 11);  // 10, 20, ..., 100 and step 42, after 15 s without a line
  CHECK(count(text, "\r") == 0);
  CHECK(count(text, "42/100 [") == 1);
  CHECK(text.find("\n100/100 [########################] 100% | loss 0.01 | ") != std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("ProgressBar on a terminal redraws in place at most 10 times a second") {
  double now = 0.0;
  std::ostringstream out;
  ProgressBar bar(50, out, fake(now, true));
  for (int step = 1; step <= 50; ++step) {
    now += 0.04;
    bar.update(step);
  }
  const std::string text = out.str();
  // Draws at 0.04 s (the first), then whenever 0.1 s have passed: 0.16, 0.28, ..., 1.96, and the last step.
  CHECK(count(text, "\r") == 18);
  CHECK(count(text, "\n") == 1);
  CHECK(text.back() == '\n');
  CHECK(text.find("50/50 [########################] 100% | 1600 img/s | 0:00:02 < 0:00:00\n") != std::string::npos);
}

TEST_CASE("ProgressBar on a terminal blanks a longer old line and keeps the bar under messages") {
  double now = 0.0;
  std::ostringstream out;
  ProgressBar bar(10, out, fake(now, true));
  now = 1.0;
  bar.update(1, {{"long_field_name", 123456}});
  const std::string first = out.str().substr(1);
  now = 2.0;
  bar.update(2);
  const std::string second = bar.line(2, 2.0);
  CHECK(out.str() == "\r" + first + "\r" + second + std::string(first.size() - second.size(), ' '));
  out.str("");
  bar.print("saved checkpoint");
  CHECK(out.str() == "\rsaved checkpoint" + std::string(second.size() - 16, ' ') + "\n\r" + second);
  out.str("");
  bar.close();
  bar.close();
  bar.update(3);
  CHECK(out.str() == "\n");
}

TEST_CASE("ProgressBar counts the rate from start_step, for resumed runs") {
  double now = 0.0;
  std::ostringstream out;
  ProgressOptions options = fake(now, false);
  options.start_step = 500;
  options.items_per_step = 1;
  options.unit = "it";
  ProgressBar bar(1000, out, options);
  CHECK(bar.line(600, 10.0).find("| 10.0 it/s | 0:00:10 < 0:00:40") != std::string::npos);
  now = 1.0;
  bar.update(510);  // 51 %: the same 10 % bucket as the start, so nothing yet
  CHECK(out.str().empty());
  bar.print("plain message");
  CHECK(out.str() == "plain message\n");
}

TEST_CASE("ProgressBar refuses a non-positive total") {
  std::ostringstream out;
  duel::test::check_error<duel::ValueError>([&] { ProgressBar(0, out); }, {"need total_steps > 0", "got 0"});
  CHECK(duel::io::detail::clock_time(360000) == "100:00:00");
  CHECK(duel::io::detail::clock_time(-1) == "?:??:??");
}
