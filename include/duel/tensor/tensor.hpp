// Tensor<T>: an n-dimensional array of numbers, stored contiguously in row-major order.
//
// A Tensor is plain data: it knows nothing of gradients (that is Var<T>, one layer up). Copies are
// cheap and share the buffer, like PyTorch tensors; clone() makes an independent copy. A reshape is
// a view of the same buffer. Eigen::Map views (as_array, as_matrix) give vectorised math without
// copying.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <type_traits>

#include "duel/tensor/error.hpp"
#include "duel/tensor/shape.hpp"
#include "duel/tensor/storage.hpp"

namespace duel {

template <class T>
constexpr const char* dtype_name() {
  if constexpr (std::is_same_v<T, float>) return "float32";
  else if constexpr (std::is_same_v<T, double>) return "float64";
  else if constexpr (std::is_same_v<T, std::int64_t>) return "int64";
  else if constexpr (std::is_same_v<T, std::int32_t>) return "int32";
  else if constexpr (std::is_same_v<T, std::uint8_t>) return "uint8";
  else return "unknown";
}

template <class T>
class Tensor {
  static_assert(std::is_arithmetic_v<T>, "Tensor<T> holds numbers");

 public:
  using value_type = T;
  using ArrayMap = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64>;
  using ConstArrayMap = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>, Eigen::Aligned64>;
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using MatrixMap = Eigen::Map<Matrix, Eigen::Aligned64>;
  using ConstMatrixMap = Eigen::Map<const Matrix, Eigen::Aligned64>;

  // An empty tensor of shape [0].
  Tensor() : shape_{0} {}

  // A zero-filled tensor of the given shape. Use Tensor::empty when every element is about to be
  // overwritten anyway.
  explicit Tensor(const Shape& shape) : Tensor(empty(shape)) { fill_(T(0)); }

  // A tensor whose contents are unspecified.
  static Tensor empty(const Shape& shape) {
    Tensor t;
    t.shape_ = shape;
    t.data_ = detail::allocate_storage<T>(static_cast<std::size_t>(shape.numel()));
    return t;
  }

  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  index_t size(int dim) const { return shape_.size(dim); }
  index_t numel() const { return shape_.numel(); }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  T* begin() { return data(); }
  T* end() { return data() + numel(); }
  const T* begin() const { return data(); }
  const T* end() const { return data() + numel(); }

  // Element access by index, e.g. t(n, c, h, w). Bounds are checked by at(); this one is unchecked.
  template <class... I>
  T& operator()(I... index) { return data_.get()[offset_of({static_cast<index_t>(index)...})]; }
  template <class... I>
  const T& operator()(I... index) const { return data_.get()[offset_of({static_cast<index_t>(index)...})]; }

  T& at(std::initializer_list<index_t> index) { return data_.get()[checked_offset(index)]; }
  const T& at(std::initializer_list<index_t> index) const { return data_.get()[checked_offset(index)]; }

  // The single value of a one-element tensor.
  T item() const {
    if (numel() != 1) throw ShapeError(detail::cat("item: tensor of shape ", shape_, " has ", numel(), " elements"));
    return data_.get()[0];
  }

  // A view of the same buffer with another shape of the same number of elements. One size may
  // be -1 and is then inferred, as in PyTorch.
  Tensor reshape(std::initializer_list<index_t> sizes) const { return reshape(infer_shape(sizes)); }
  Tensor reshape(const Shape& shape) const {
    if (shape.numel() != numel()) {
      throw ShapeError(detail::cat("reshape: cannot view ", shape_, " (", numel(), " elements) as ", shape, " (",
                                   shape.numel(), " elements)"));
    }
    Tensor t = *this;
    t.shape_ = shape;
    return t;
  }

  // Resolves a -1 in sizes against this tensor's element count.
  Shape infer_shape(std::initializer_list<index_t> sizes) const {
    Shape out;
    index_t known = 1;
    int infer = -1;
    for (index_t s : sizes) {
      if (s == -1 && infer < 0) {
        infer = out.rank();
        out.push_back(-1);  // a placeholder, so that an error message shows the sizes as given
        continue;
      }
      if (s < 0) throw ShapeError(detail::cat("reshape: bad size ", s, " for ", shape_));
      known *= s;
      out.push_back(s);
    }
    if (infer >= 0) {
      if (known == 0 || numel() % known != 0) {
        throw ShapeError(detail::cat("reshape: cannot infer -1 when viewing ", shape_, " with ", out));
      }
      out[infer] = numel() / known;
    }
    return out;
  }

  Tensor clone() const {
    Tensor t = empty(shape_);
    if (numel() > 0) std::memcpy(t.data(), data(), static_cast<std::size_t>(numel()) * sizeof(T));
    return t;
  }

  // Copies the values of src (same number of elements) into this tensor's buffer.
  Tensor& copy_(const Tensor& src) {
    if (src.numel() != numel()) {
      throw ShapeError(detail::cat("copy_: source ", src.shape(), " does not fit destination ", shape_));
    }
    if (numel() > 0 && src.data() != data()) {
      std::memcpy(data(), src.data(), static_cast<std::size_t>(numel()) * sizeof(T));
    }
    return *this;
  }

  Tensor& fill_(T value) {
    std::fill(begin(), end(), value);
    return *this;
  }

  // True if this tensor and other are views of one buffer.
  bool shares_storage_with(const Tensor& other) const { return data_ && data_ == other.data_; }

  // Eigen views without copies: all elements as a column array, or the tensor as a row-major matrix.
  ArrayMap as_array() { return ArrayMap(data(), numel()); }
  ConstArrayMap as_array() const { return ConstArrayMap(data(), numel()); }
  MatrixMap as_matrix(index_t rows, index_t cols) { return MatrixMap(data(), checked_rows(rows, cols), cols); }
  ConstMatrixMap as_matrix(index_t rows, index_t cols) const {
    return ConstMatrixMap(data(), checked_rows(rows, cols), cols);
  }
  // A rank-2 tensor as a matrix; higher ranks fold the leading dims into rows.
  MatrixMap as_matrix() { return as_matrix(rows_of_trailing(), shape_.back()); }
  ConstMatrixMap as_matrix() const { return as_matrix(rows_of_trailing(), shape_.back()); }

  // Converts every element to another number type, as static_cast does: each value must fit in U
  // (a float outside an integer type's range is undefined behaviour in C++; clamp first).
  template <class U>
  Tensor<U> to() const {
    Tensor<U> t = Tensor<U>::empty(shape_);
    std::transform(begin(), end(), t.begin(), [](T v) { return static_cast<U>(v); });
    return t;
  }

 private:
  index_t offset_of(std::initializer_list<index_t> index) const {
    index_t offset = 0;
    int d = 0;
    for (index_t i : index) offset = offset * shape_[d++] + i;
    return offset;
  }

  index_t checked_offset(std::initializer_list<index_t> index) const {
    if (static_cast<int>(index.size()) != rank()) {
      throw ShapeError(detail::cat("at: ", index.size(), " indices for a tensor of rank ", rank(), " ", shape_));
    }
    int d = 0;
    for (index_t i : index) {
      if (i < 0 || i >= shape_[d]) {
        throw ShapeError(detail::cat("at: index ", i, " is out of range for dim ", d, " of ", shape_));
      }
      ++d;
    }
    return offset_of(index);
  }

  index_t checked_rows(index_t rows, index_t cols) const {
    if (rows * cols != numel()) {
      throw ShapeError(detail::cat("as_matrix: ", shape_, " is not a ", rows, "x", cols, " matrix"));
    }
    return rows;
  }

  // The product of the leading dims, not numel / last: a [2,0] tensor is a 2x0 matrix, not 0x0.
  index_t rows_of_trailing() const {
    if (rank() < 1) throw ShapeError("as_matrix: a scalar has no matrix view");
    index_t rows = 1;
    for (int d = 0; d + 1 < rank(); ++d) rows *= shape_[d];
    return rows;
  }

  Shape shape_;
  std::shared_ptr<T> data_;
};

// True when every |a - b| <= atol + rtol * |b| and the shapes are equal (NaNs are never close).
// An infinity is close only to itself, as in PyTorch: the formula alone would call every value
// close to an infinite b (rtol * inf) and no infinity close to itself (inf - inf is NaN).
template <class T>
bool allclose(const Tensor<T>& a, const Tensor<T>& b, double rtol = 1e-5, double atol = 1e-8) {
  if (!(a.shape() == b.shape())) return false;
  for (index_t i = 0; i < a.numel(); ++i) {
    double x = static_cast<double>(a.data()[i]), y = static_cast<double>(b.data()[i]);
    if (!(x == y || (std::isfinite(y) && std::abs(x - y) <= atol + rtol * std::abs(y)))) return false;
  }
  return true;
}

}  // namespace duel
