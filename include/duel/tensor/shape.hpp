// Shape: the sizes of a tensor's dimensions, outermost first (row-major, NCHW for images).
// Fixed capacity, so making and copying shapes never touches the heap.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>

#include "duel/tensor/error.hpp"

namespace duel {

using index_t = std::int64_t;

class Shape {
 public:
  static constexpr int max_rank = 8;

  Shape() = default;
  Shape(std::initializer_list<index_t> sizes) : Shape(std::span<const index_t>(sizes.begin(), sizes.size())) {}
  explicit Shape(std::span<const index_t> sizes) {
    if (sizes.size() > static_cast<std::size_t>(max_rank)) {
      throw ShapeError(detail::cat("Shape: rank ", sizes.size(), " exceeds the maximum of ", max_rank));
    }
    for (index_t s : sizes) {
      if (s < 0) throw ShapeError(detail::cat("Shape: negative size ", s));
      sizes_[static_cast<std::size_t>(rank_++)] = s;
    }
  }

  int rank() const { return rank_; }
  index_t operator[](int dim) const { return sizes_[static_cast<std::size_t>(dim)]; }
  index_t& operator[](int dim) { return sizes_[static_cast<std::size_t>(dim)]; }
  const index_t* begin() const { return sizes_.data(); }
  const index_t* end() const { return sizes_.data() + rank_; }
  index_t back() const { return sizes_[static_cast<std::size_t>(rank_ - 1)]; }

  // Size of a dimension, counting negative dims from the end as PyTorch does (-1 is the last).
  index_t size(int dim) const { return (*this)[normalize_dim(dim, "size")]; }

  index_t numel() const {
    index_t n = 1;
    for (index_t s : *this) n *= s;
    return n;
  }

  // Maps dim in [-rank, rank) to [0, rank), or throws naming the op.
  int normalize_dim(int dim, const char* op) const {
    int d = dim < 0 ? dim + rank_ : dim;
    if (d < 0 || d >= rank_) {
      throw ShapeError(detail::cat(op, ": dim ", dim, " is out of range for shape ", str()));
    }
    return d;
  }

  void push_back(index_t size) {
    if (rank_ == max_rank) throw ShapeError(detail::cat("Shape: rank exceeds the maximum of ", max_rank));
    sizes_[static_cast<std::size_t>(rank_++)] = size;
  }

  // Row-major strides in elements: stride[d] = product of the sizes after d.
  std::array<index_t, max_rank> strides() const {
    std::array<index_t, max_rank> st{};
    index_t s = 1;
    for (int d = rank_ - 1; d >= 0; --d) {
      st[static_cast<std::size_t>(d)] = s;
      s *= (*this)[d];
    }
    return st;
  }

  friend bool operator==(const Shape& a, const Shape& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

  // Built by appending only: `"," + std::to_string(...)` trips a false -Wrestrict in g++ 12 at -O3.
  std::string str() const {
    std::string s = "[";
    for (int d = 0; d < rank_; ++d) {
      if (d) s += ',';
      s += std::to_string((*this)[d]);
    }
    return s + ']';
  }
  friend std::ostream& operator<<(std::ostream& out, const Shape& s) { return out << s.str(); }

 private:
  std::array<index_t, max_rank> sizes_{};
  int rank_ = 0;
};

// NumPy/PyTorch broadcasting: align shapes at the right; each pair of sizes must be equal or one
// of them 1. Throws a ShapeError naming the op and both shapes otherwise.
inline Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int rank = std::max(a.rank(), b.rank());
  std::array<index_t, Shape::max_rank> out{};
  for (int i = 0; i < rank; ++i) {
    int da = a.rank() - rank + i, db = b.rank() - rank + i;
    index_t sa = da >= 0 ? a[da] : 1, sb = db >= 0 ? b[db] : 1;
    if (sa != sb && sa != 1 && sb != 1) {
      throw ShapeError(detail::cat(op, ": shapes ", a, " and ", b, " cannot be broadcast (dim ", i, ": ", sa,
                                   " vs ", sb, ")"));
    }
    out[static_cast<std::size_t>(i)] = sa == 1 ? sb : sa;
  }
  return Shape(std::span<const index_t>(out.data(), static_cast<std::size_t>(rank)));
}

}  // namespace duel
