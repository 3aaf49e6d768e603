// Errors. Every failure Duel reports is an exception derived from duel::Error whose message names
// the operation and what was wrong (shapes, files, offsets, expected vs found).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace duel {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Shapes that do not fit together: "matmul: [64,100] x [128,784]: inner dimensions 100 and 128 differ".
class ShapeError : public Error {
 public:
  using Error::Error;
};

// An argument with a bad value (a negative size, a probability outside [0, 1], an unknown name).
class ValueError : public Error {
 public:
  using Error::Error;
};

// A file that cannot be read or written, or whose contents are not what they claim to be.
class IoError : public Error {
 public:
  using Error::Error;
};

namespace detail {

// Builds a message from pieces with operator<<: cat("conv2d: ", shape, " has ", n, " channels").
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace detail
}  // namespace duel
