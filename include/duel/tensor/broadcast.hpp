// Broadcasting kernels: elementwise work on two tensors of broadcast-compatible shapes.
//
// Each operand is read through strides that are 0 along the dimensions it is broadcast over.
// Dimensions that can be walked as one (contiguous in both operands) are merged first, so the
// common cases ([N,C] + [C], [N,C,H,W] * [1,C,1,1]) become a short outer loop around a long,
// vectorisable inner loop.
#pragma once

#include <array>

#include "duel/tensor/tensor.hpp"

namespace duel::detail {

// The loop nest that walks an output shape and two inputs broadcast to it.
struct BroadcastLoops {
  int rank = 0;  // after merging; the last dim is the inner loop
  std::array<index_t, Shape::max_rank> size{};
  std::array<index_t, Shape::max_rank> stride_a{};
  std::array<index_t, Shape::max_rank> stride_b{};

  BroadcastLoops(const Shape& out, const Shape& a, const Shape& b) {
    auto sa = aligned_strides(out, a), sb = aligned_strides(out, b);
    for (int d = 0; d < out.rank(); ++d) {
      auto u = static_cast<std::size_t>(d);
      if (out[d] == 1) continue;  // a size-1 dim adds no iterations
      if (rank > 0) {
        auto p = static_cast<std::size_t>(rank - 1);
        bool merge_a = stride_a[p] == sa[u] * out[d], merge_b = stride_b[p] == sb[u] * out[d];
        if (merge_a && merge_b) {  // contiguous with the previous dim in both operands
          size[p] *= out[d];
          stride_a[p] = sa[u];
          stride_b[p] = sb[u];
          continue;
        }
      }
      auto r = static_cast<std::size_t>(rank++);
      size[r] = out[d];
      stride_a[r] = sa[u];
      stride_b[r] = sb[u];
    }
    if (rank == 0) {  // every size is 1: a single element
      rank = 1;
      size[0] = 1;
    }
  }

  // Strides of x read as a tensor of shape out: 0 where x has size 1 or lacks the dim.
  static std::array<index_t, Shape::max_rank> aligned_strides(const Shape& out, const Shape& x) {
    std::array<index_t, Shape::max_rank> st{};
    auto own = x.strides();
    for (int d = 0; d < out.rank(); ++d) {
      int dx = x.rank() - out.rank() + d;
      st[static_cast<std::size_t>(d)] = (dx >= 0 && x[dx] != 1) ? own[static_cast<std::size_t>(dx)] : 0;
    }
    return st;
  }

  // Calls inner(out_offset, a_offset, b_offset, n, stride_a, stride_b) for each run of the inner loop.
  template <class Inner>
  void run(const Inner& inner) const {
    const int last = rank - 1;
    const auto l = static_cast<std::size_t>(last);
    std::array<index_t, Shape::max_rank> idx{};
    index_t runs = 1;
    for (int d = 0; d < last; ++d) runs *= size[static_cast<std::size_t>(d)];
    index_t out_off = 0, a_off = 0, b_off = 0;
    for (index_t r = 0; r < runs; ++r) {
      inner(out_off, a_off, b_off, size[l], stride_a[l], stride_b[l]);
      out_off += size[l];
      for (int d = last - 1; d >= 0; --d) {  // odometer step over the outer dims
        auto u = static_cast<std::size_t>(d);
        a_off += stride_a[u];
        b_off += stride_b[u];
        if (++idx[u] < size[u]) break;
        a_off -= stride_a[u] * size[u];
        b_off -= stride_b[u] * size[u];
        idx[u] = 0;
      }
    }
  }
};

// out[i] = f(a[i], b[i]) with broadcasting; the inner loop is specialised on the strides so that
// the compiler can vectorise it.
template <class T, class F>
Tensor<T> broadcast_binary(const Tensor<T>& a, const Tensor<T>& b, const char* op, F f) {
  if (a.shape() == b.shape()) {
    Tensor<T> out = Tensor<T>::empty(a.shape());
    const T *pa = a.data(), *pb = b.data();
    T* po = out.data();
    for (index_t i = 0, n = a.numel(); i < n; ++i) po[i] = f(pa[i], pb[i]);
    return out;
  }
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor<T> out = Tensor<T>::empty(shape);
  if (out.numel() == 0) return out;
  const T *pa = a.data(), *pb = b.data();
  T* po = out.data();
  BroadcastLoops(shape, a.shape(), b.shape()).run([&](index_t o, index_t ia, index_t ib, index_t n, index_t sa, index_t sb) {
    T* q = po + o;
    const T *x = pa + ia, *y = pb + ib;
    if (sa == 1 && sb == 1) {
      for (index_t i = 0; i < n; ++i) q[i] = f(x[i], y[i]);
    } else if (sa == 1 && sb == 0) {
      const T yv = *y;
      for (index_t i = 0; i < n; ++i) q[i] = f(x[i], yv);
    } else if (sa == 0 && sb == 1) {
      const T xv = *x;
      for (index_t i = 0; i < n; ++i) q[i] = f(xv, y[i]);
    } else {
      for (index_t i = 0; i < n; ++i) q[i] = f(x[i * sa], y[i * sb]);
    }
  });
  return out;
}

// x repeated along its size-1 (or missing) dims to fill shape.
template <class T>
Tensor<T> broadcast_to(const Tensor<T>& x, const Shape& shape) {
  if (!(broadcast_shapes(x.shape(), shape, "broadcast_to") == shape)) {
    throw ShapeError(detail::cat("broadcast_to: cannot broadcast ", x.shape(), " to ", shape));
  }
  if (x.shape() == shape) return x;
  Tensor<T> out = Tensor<T>::empty(shape);
  if (out.numel() == 0) return out;
  const T* px = x.data();
  T* po = out.data();
  BroadcastLoops(shape, x.shape(), shape).run([&](index_t o, index_t ix, index_t, index_t n, index_t sx, index_t) {
    for (index_t i = 0; i < n; ++i) po[o + i] = px[ix + i * sx];
  });
  return out;
}

}  // namespace duel::detail
