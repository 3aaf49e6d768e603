// CsvLog: a training run's numbers, one row per logging step, in a CSV file for pandas,
// spreadsheets or SvgPlot.
//
//   CsvLog log("runs/dcgan/log.csv", {"step", "d_loss", "g_loss", "d_x", "d_g_z"}, resumed);
//   log.add_row(step, d_loss, g_loss, d_x, d_g_z);
//
// Each row is handed to the operating system as soon as it is written, so a crash loses at most
// the row being written. With append = true (a resumed run) an existing file keeps its rows when
// its header is this log's header; another header is an error, since the columns would no longer
// mean what their names say. A half-written last row left by a crash is cut off first.
// Whole numbers below 2^53 are written exactly ("120000"), others with 6 significant digits
// (%.6g, "0.693147"); NaN and infinities as nan, inf, -inf.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "duel/io/file.hpp"

namespace duel::io {

namespace detail {

// A CSV field as RFC 4180 writes it: quoted, with quotes doubled, if it holds , " or a line break.
inline std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

inline std::string csv_number(double value) {
  char buffer[32];
  const bool whole = std::abs(value) < 9007199254740992.0 && value == std::floor(value);
  std::snprintf(buffer, sizeof buffer, whole ? "%.0f" : "%.6g", value);
  return buffer;
}

}  // namespace detail

class CsvLog {
 public:
  CsvLog(std::filesystem::path path, std::vector<std::string> columns, bool append = false)
      : columns_(std::move(columns)), header_(header_line(columns_)), file_(open(path, header_, append)) {}

  const std::filesystem::path& path() const { return file_.path(); }
  const std::vector<std::string>& columns() const { return columns_; }

  // Writes one row, a value per column, and flushes it.
  void add_row(std::span<const double> values) {
    if (values.size() != columns_.size()) {
      throw ValueError(duel::detail::cat("CsvLog '", path().string(), "': a row of ", values.size(), " values for ",
                                         columns_.size(), " columns (", header_.substr(0, header_.size() - 1), ")"));
    }
    std::string line;
    for (const double v : values) {
      if (!line.empty()) line += ',';
      line += detail::csv_number(v);
    }
    file_.write(line + "\n");
    file_.flush();
  }
  template <class... V>
    requires(std::is_arithmetic_v<V> && ...)
  void add_row(V... values) {
    const std::array<double, sizeof...(V)> row{static_cast<double>(values)...};
    add_row(std::span<const double>(row));
  }

 private:
  static std::string header_line(const std::vector<std::string>& columns) {
    if (columns.empty()) throw ValueError("CsvLog: no columns");
    std::string line;
    for (const std::string& c : columns) {
      if (!line.empty()) line += ',';
      line += detail::csv_field(c);
    }
    return line + "\n";
  }

  static File open(const std::filesystem::path& path, const std::string& header, bool append) {
    std::error_code error;
    if (append && std::filesystem::file_size(path, error) > 0 && !error) {
      const std::string text = File(path, "rb").read_rest();
      if (text.compare(0, header.size(), header) != 0) {
        throw IoError(duel::detail::cat("CsvLog '", path.string(), "': cannot append, its header is '",
                                        text.substr(0, std::min(text.find('\n'), std::size_t{200})),
                                        "' but this log's columns are '", header.substr(0, header.size() - 1), "'"));
      }
      const std::size_t complete = text.rfind('\n') + 1;
      if (complete < text.size()) {
        std::filesystem::resize_file(path, complete, error);
        if (error) {
          throw IoError(duel::detail::cat("CsvLog '", path.string(), "': cannot cut its half-written last row: ",
                                          error.message()));
        }
      }
      return File(path, "ab");
    }
    File file(path, "wb");
    file.write(header);
    file.flush();
    return file;
  }

  std::vector<std::string> columns_;
  std::string header_;  // the first line, with its '\n'
  File file_;
};

}  // namespace duel::io
