// ProgressBar: how far training has got, how fast it goes and when it will end, on one line.
//
//   ProgressBar bar(steps, std::cerr, {.items_per_step = 64, .unit = "img"});
//   for (index_t step = 1; step <= steps; ++step) {
//     ...
//     bar.update(step, {{"D", d_loss}, {"G", g_loss}, {"D(x)", d_x}, {"D(G(z))", d_g_z}});
//   }
//
//   1200/10000 [###---------------------]  12% | D 0.6931 G 0.7105 D(x) 0.5012 | 512 img/s | 0:00:23 < 0:02:51
//
// The last part is the time taken so far and the time left: steps left / steps per second, the
// rate averaged over this run (from start_step on). On a terminal the line is redrawn in place
// ('\r') at most every redraw_seconds. Elsewhere (a log file, CI) redrawing would fill the log
// with copies, so a whole line is printed each time another log_percent of the steps is done or
// log_seconds have passed, and at the end.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "duel/tensor/error.hpp"
#include "duel/tensor/shape.hpp"

namespace duel::io {

struct ProgressOptions {
  double items_per_step = 1.0;  // e.g. the batch size, for images per second
  std::string unit = "it";      // what an item is: "img" shows "img/s"
  index_t start_step = 0;       // the step a resumed run starts from: the rate counts only this run
  int bar_width = 24;
  std::optional<bool> terminal{};  // redraw in place? By default: is out std::cout/cerr/clog on a terminal?
  double redraw_seconds = 0.1;   // on a terminal, the least time between two redraws
  double log_percent = 10.0, log_seconds = 15.0;  // elsewhere, print after this much progress or time
  std::function<double()> clock{};  // seconds on a steady clock; the default reads std::chrono::steady_clock
};

namespace detail {

// Seconds as h:mm:ss.
inline std::string clock_time(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 3.6e8) return "?:??:??";
  const auto s = static_cast<long long>(seconds + 0.5);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buffer;
}

inline bool is_terminal([[maybe_unused]] const std::ostream& out) {
#if defined(__unix__) || defined(__APPLE__)
  if (&out == &std::cout) return ::isatty(STDOUT_FILENO) == 1;
  if (&out == &std::cerr || &out == &std::clog) return ::isatty(STDERR_FILENO) == 1;
#endif
  return false;
}

}  // namespace detail

class ProgressBar {
 public:
  using Field = std::pair<std::string_view, double>;

  explicit ProgressBar(index_t total_steps, std::ostream& out = std::cerr, ProgressOptions options = {})
      : total_(total_steps), out_(out), options_(std::move(options)) {
    if (total_ < 1 || options_.bar_width < 0 || options_.bar_width > 200 || !(options_.log_percent > 0)) {
      throw ValueError(duel::detail::cat("ProgressBar: need total_steps > 0, bar_width in [0, 200] and ",
                                         "log_percent > 0; got ", total_, ", ", options_.bar_width, ", ",
                                         options_.log_percent));
    }
    if (!options_.clock) {
      options_.clock = [] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
      };
    }
    terminal_ = options_.terminal.value_or(detail::is_terminal(out_));
    start_time_ = last_draw_ = options_.clock();
    last_bucket_ = bucket(options_.start_step);
  }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() {
    try {
      close();
    } catch (...) {  // a destructor must not throw; a stream that fails here has nothing left to say
    }
  }

  // Reports that `step` of the total steps are done, with the latest values of some numbers.
  void update(index_t step, std::initializer_list<Field> fields = {}) {
    if (done_) return;
    const double now = options_.clock();
    const bool last = step >= total_;
    if (terminal_) {
      if (!last && line_open_ && now - last_draw_ < options_.redraw_seconds) return;
      draw(line(step, now, fields));
      if (last) close();
    } else if (last || bucket(step) > last_bucket_ || now - last_draw_ >= options_.log_seconds) {
      out_ << line(step, now, fields) << '\n' << std::flush;
      done_ = last;
    } else {
      return;
    }
    last_draw_ = now;
    last_bucket_ = bucket(step);
  }

  // Prints a message on a line of its own, keeping the bar below it on a terminal.
  void print(std::string_view message) {
    if (!terminal_ || !line_open_) {
      out_ << message << '\n' << std::flush;
      return;
    }
    const std::string bar = drawn_;
    draw(std::string(message));
    out_ << '\n';
    drawn_.clear();
    draw(bar);
  }

  // Ends the bar's line on a terminal; later updates print nothing.
  void close() {
    if (line_open_) out_ << '\n' << std::flush;
    line_open_ = false;
    done_ = true;
  }

  // The text of the bar for `step` at time `now` (seconds on options.clock).
  std::string line(index_t step, double now, std::initializer_list<Field> fields = {}) const {
    const double fraction = std::clamp(static_cast<double>(step) / static_cast<double>(total_), 0.0, 1.0);
    const int filled = static_cast<int>(fraction * options_.bar_width + 0.5);
    std::string text = duel::detail::cat(step, "/", total_, " [", std::string(static_cast<std::size_t>(filled), '#'),
                                         std::string(static_cast<std::size_t>(options_.bar_width - filled), '-'), "] ");
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%3d%%", static_cast<int>(fraction * 100));
    text += buffer;
    if (fields.size() > 0) text += " |";
    for (const auto& [name, value] : fields) {
      std::snprintf(buffer, sizeof buffer, " %.4g", value);
      text += duel::detail::cat(" ", name, buffer);
    }
    const double elapsed = now - start_time_;
    const double steps_per_second = static_cast<double>(step - options_.start_step) / elapsed;
    const double rate = steps_per_second * options_.items_per_step;
    if (elapsed > 0 && std::isfinite(rate) && rate > 0) {
      std::snprintf(buffer, sizeof buffer, rate < 100 ? " | %.1f " : " | %.0f ", rate);
      text += buffer + options_.unit + "/s";
    } else {
      text += " | ? " + options_.unit + "/s";
    }
    const auto steps_left = static_cast<double>(total_ - std::min(step, total_));
    const double left = steps_per_second > 0 ? steps_left / steps_per_second : -1;
    return text + " | " + detail::clock_time(elapsed) + " < " + detail::clock_time(left);
  }

 private:
  // How many log_percent steps of progress `step` stands for.
  long long bucket(index_t step) const {
    const double percent = 100.0 * static_cast<double>(step) / static_cast<double>(total_);
    return static_cast<long long>(percent / options_.log_percent);
  }

  // Redraws the terminal line with text, blanking what is left of a longer previous line.
  void draw(const std::string& text) {
    out_ << '\r' << text;
    if (text.size() < drawn_.size()) out_ << std::string(drawn_.size() - text.size(), ' ');
    out_ << std::flush;
    drawn_ = text;
    line_open_ = true;
  }

  index_t total_;
  std::ostream& out_;
  ProgressOptions options_;
  bool terminal_ = false, line_open_ = false, done_ = false;
  double start_time_ = 0, last_draw_ = 0;
  long long last_bucket_ = 0;
  std::string drawn_;  // the terminal line as last drawn
};

}  // namespace duel::io
