// SvgPlot: line charts as SVG files, written by hand (SVG is XML text), for GAN loss curves.
//
//   SvgPlot plot({.title = "DCGAN on MNIST", .x_label = "step", .y_label = "loss", .smoothing = 0.6});
//   plot.add("D loss", steps, d_loss).add("G loss", steps, g_loss);
//   plot.save("runs/dcgan/losses.svg");
//
// Axis ticks are "nice" numbers, 1, 2 or 5 times a power of ten. With smoothing w > 0, each series
// is drawn faint as it is and strong as TensorBoard smooths it: an exponential moving average
//   s_k = w s_(k-1) + (1 - w) y_k,  s_0 = 0,  shown as s_k / (1 - w^k)
// where the division undoes the pull toward the starting 0 (the bias correction Adam also uses).
// Points whose x or y is NaN or infinite are left out.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duel/io/atomic_file.hpp"
#include "duel/io/utf8.hpp"
#include "duel/tensor/error.hpp"

namespace duel::io {

struct SvgPlotOptions {
  std::string title{};
  std::string x_label = "step";
  std::string y_label{};
  double smoothing = 0.0;  // TensorBoard's smoothing weight, in [0, 1); 0 draws the raw curves only
  int width = 720, height = 440;
};

namespace detail {

// text for XML: & < > " ' escaped; bytes that are not UTF-8, and control characters XML forbids, dropped.
inline std::string xml_escape(std::string_view text) {
  std::string out;
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t n = utf8_length_at(text, pos);
    const char c = text[pos];
    if (n == 0 || (n == 1 && static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
      pos += std::max<std::size_t>(n, 1);
      continue;
    }
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '"') out += "&quot;";
    else if (c == '\'') out += "&apos;";
    else out.append(text.substr(pos, n));
    pos += n;
  }
  return out;
}

inline std::string number(double value, const char* pattern = "%.1f") {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

inline std::string svg_line(double x1, double y1, double x2, double y2, std::string_view style = "") {
  return "<line x1=\"" + number(x1) + "\" y1=\"" + number(y1) + "\" x2=\"" + number(x2) + "\" y2=\"" + number(y2) +
         "\"" + std::string(style) + "/>\n";
}

inline std::string svg_rect(double x, double y, double width, double height, std::string_view style) {
  return "<rect x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(width) + "\" height=\"" +
         number(height) + "\"" + std::string(style) + "/>\n";
}

inline std::string svg_text(double x, double y, std::string_view anchor, std::string_view content,
                            std::string_view style = "") {
  return "<text x=\"" + number(x) + "\" y=\"" + number(y) + "\" text-anchor=\"" + std::string(anchor) + "\"" +
         std::string(style) + ">" + xml_escape(content) + "</text>\n";
}

// An axis from lo to hi in steps of 1, 2 or 5 times a power of ten, widened to whole steps and
// to a nonzero span, with at most about max_ticks steps.
struct Axis {
  double lo, hi, step;
  std::vector<double> ticks() const {
    std::vector<double> out;
    const double first = std::ceil(lo / step - 1e-9);
    for (int i = 0; i <= 100 && (first + i) * step <= hi + step * 1e-9; ++i) out.push_back((first + i) * step);
    return out;
  }
  std::string label(double value) const {
    if (std::abs(value) < step * 1e-6) value = 0.0;  // no "-0" or "1e-17" at the origin
    if (std::abs(value) >= 1e7 || step < 1e-6) return number(value, "%.4g");
    const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
  }
};

inline Axis nice_axis(double lo, double hi, int max_ticks = 6) {
  if (!(lo <= hi)) return nice_axis(0.0, 1.0, max_ticks);
  if (hi - lo < 1e-12 * std::max(1.0, std::abs(lo))) {
    const double pad = lo == 0.0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / max_ticks, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * magnitude;
  for (const double m : {1.0, 2.0, 5.0}) {
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  }
  return {std::floor(lo / step) * step, std::ceil(hi / step) * step, step};
}

// TensorBoard's debiased exponential moving average (see the top of this file); non-finite
// values pass through and do not count.
inline std::vector<double> smooth(const std::vector<double>& y, double weight) {
  std::vector<double> out(y.size());
  double average = 0.0, kept = 1.0;  // kept = w^k
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(y[i])) {
      out[i] = y[i];
      continue;
    }
    average = weight * average + (1.0 - weight) * y[i];
    kept *= weight;
    out[i] = average / (1.0 - kept);
  }
  return out;
}

}  // namespace detail

class SvgPlot {
 public:
  explicit SvgPlot(SvgPlotOptions options = {}) : options_(std::move(options)) {
    if (!(options_.smoothing >= 0.0 && options_.smoothing < 1.0)) {
      throw ValueError(duel::detail::cat("SvgPlot: smoothing must be in [0, 1), got ", options_.smoothing));
    }
    if (options_.width < 200 || options_.height < 150 || options_.width > 20000 || options_.height > 20000) {
      throw ValueError(duel::detail::cat("SvgPlot: size ", options_.width, "x", options_.height,
                                         " is outside 200x150 .. 20000x20000"));
    }
  }

  // Adds a series of points (x[i], y[i]); x and y must have the same length.
  SvgPlot& add(std::string name, std::vector<double> x, std::vector<double> y) {
    if (x.size() != y.size()) {
      throw ValueError(duel::detail::cat("SvgPlot: series '", name, "' has ", x.size(), " x values but ", y.size(),
                                         " y values"));
    }
    series_.push_back({std::move(name), std::move(x), std::move(y)});
    return *this;
  }
  // Adds a series with x = 0, 1, 2, ...
  SvgPlot& add(std::string name, std::vector<double> y) {
    std::vector<double> x(y.size());
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i);
    return add(std::move(name), std::move(x), std::move(y));
  }

  // The SVG document.
  std::string str() const {
    using namespace detail;
    const double width = options_.width, height = options_.height;
    const double left = 70, right = width - 20, top = options_.title.empty() ? 20 : 44, bottom = height - 50;
    const std::pair<Axis, Axis> both = axes();
    const Axis &x_axis = both.first, &y_axis = both.second;
    auto px = [&](double x) { return left + (x - x_axis.lo) / (x_axis.hi - x_axis.lo) * (right - left); };
    auto py = [&](double y) { return bottom - (y - y_axis.lo) / (y_axis.hi - y_axis.lo) * (bottom - top); };
    std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                      number(width, "%g") + "\" height=\"" + number(height, "%g") + "\" viewBox=\"0 0 " +
                      number(width, "%g") + " " + number(height, "%g") +
                      "\" font-family=\"sans-serif\" font-size=\"12\">\n" +
                      svg_rect(0, 0, width, height, " fill=\"white\"") + "<g stroke=\"#e0e0e0\">\n";
    for (const double t : x_axis.ticks()) svg += svg_line(px(t), top, px(t), bottom);
    for (const double t : y_axis.ticks()) svg += svg_line(left, py(t), right, py(t));
    svg += "</g>\n" + svg_rect(left, top, right - left, bottom - top, " fill=\"none\" stroke=\"#444\"");
    for (const double t : x_axis.ticks()) svg += svg_text(px(t), bottom + 16, "middle", x_axis.label(t));
    for (const double t : y_axis.ticks()) svg += svg_text(left - 6, py(t) + 4, "end", y_axis.label(t));
    svg += svg_text((left + right) / 2, 26, "middle", options_.title, " font-size=\"15\"");
    svg += svg_text((left + right) / 2, height - 12, "middle", options_.x_label);
    const double middle = (top + bottom) / 2;
    svg += svg_text(18, middle, "middle", options_.y_label, " transform=\"rotate(-90 18 " + number(middle) + ")\"");
    for (std::size_t i = 0; i < series_.size(); ++i) {
      const Series& s = series_[i];
      auto polyline = [&](const std::vector<double>& y, std::string_view opacity) {
        svg += "<polyline fill=\"none\" stroke=\"" + palette(i) + "\" stroke-width=\"1.5\" stroke-opacity=\"" +
               std::string(opacity) + "\" points=\"";
        for (std::size_t k = 0; k < y.size(); ++k) {
          if (std::isfinite(s.x[k]) && std::isfinite(y[k])) svg += number(px(s.x[k])) + "," + number(py(y[k])) + " ";
        }
        svg += "\"/>\n";
      };
      polyline(s.y, options_.smoothing > 0.0 ? "0.25" : "1");
      if (options_.smoothing > 0.0) polyline(smooth(s.y, options_.smoothing), "1");
    }
    legend(svg, right - 8, top + 8);
    return svg + "</svg>\n";
  }

  // Writes the SVG file, atomically.
  void save(const std::filesystem::path& path) const { write_file_atomically(path, str()); }

 private:
  struct Series {
    std::string name;
    std::vector<double> x, y;
  };

  static std::string palette(std::size_t i) {
    static constexpr const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                              "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    return colours[i % 10];
  }

  // Nice axes around every finite point.
  std::pair<detail::Axis, detail::Axis> axes() const {
    double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
    for (const Series& s : series_) {
      for (std::size_t k = 0; k < s.x.size(); ++k) {
        if (!std::isfinite(s.x[k]) || !std::isfinite(s.y[k])) continue;
        x_lo = std::min(x_lo, s.x[k]);
        x_hi = std::max(x_hi, s.x[k]);
        y_lo = std::min(y_lo, s.y[k]);
        y_hi = std::max(y_hi, s.y[k]);
      }
    }
    return {detail::nice_axis(x_lo, x_hi), detail::nice_axis(y_lo, y_hi)};
  }

  // One row per series in the top right corner: a short line in its colour, then its name.
  void legend(std::string& svg, double right, double top) const {
    if (series_.empty()) return;
    std::size_t longest = 0;
    for (const Series& s : series_) longest = std::max(longest, s.name.size());
    const double width = 40 + 7.0 * static_cast<double>(longest), left = right - width;
    svg += detail::svg_rect(left, top, width, 8 + 18.0 * static_cast<double>(series_.size()),
                            " fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"");
    for (std::size_t i = 0; i < series_.size(); ++i) {
      const double row = top + 17 + 18.0 * static_cast<double>(i);
      const std::string style = " stroke=\"" + palette(i) + "\" stroke-width=\"2\"";
      svg += detail::svg_line(left + 8, row - 4, left + 28, row - 4, style);
      svg += detail::svg_text(left + 34, row, "start", series_[i].name);
    }
  }

  SvgPlotOptions options_;
  std::vector<Series> series_;
};

}  // namespace duel::io
