// Sum reductions: over chosen dims (keeping them as size 1 or dropping them), and sum_to, which
// undoes broadcasting by summing a gradient back down to the shape of the operand it came from.
#pragma once

#include <vector>

#include "duel/tensor/broadcast.hpp"
#include "duel/tensor/parallel.hpp"

namespace duel::detail {

// The shape of x after reducing dims: each reduced dim becomes 1 (keepdim) or disappears.
// An empty dims list means every dim.
inline Shape reduced_shape(const Shape& x, const std::vector<int>& dims, bool keepdim, const char* op) {
  std::array<bool, Shape::max_rank> reduce{};
  for (int d : dims) {
    int n = x.normalize_dim(d, op);
    if (reduce[static_cast<std::size_t>(n)]) throw ShapeError(detail::cat(op, ": dim ", d, " appears twice"));
    reduce[static_cast<std::size_t>(n)] = true;
  }
  Shape out;
  for (int d = 0; d < x.rank(); ++d) {
    bool r = dims.empty() || reduce[static_cast<std::size_t>(d)];
    if (!r) out.push_back(x[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// The one dim that `kept` keeps (every other summed away), or -1 if it keeps none or several.
inline int single_kept_dim(const Shape& kept) {
  int dim = -1;
  for (int d = 0; d < kept.rank(); ++d) {
    if (kept[d] == 1) continue;
    if (dim >= 0) return -1;
    dim = d;
  }
  return dim;
}

// Sums x down to `kept`, a shape of the same rank whose sizes are either x's or 1.
template <class T>
Tensor<T> sum_keepdim(const Tensor<T>& x, const Shape& kept) {
  Tensor<T> out(kept);
  if (x.numel() == 0) return out;
  const T* px = x.data();
  T* po = out.data();
  const int dim = single_kept_dim(kept);
  index_t outer = 1, inner = 1;  // the sizes of the dims before and after it
  for (int d = 0; d < dim; ++d) outer *= x.shape()[d];
  for (int d = dim + 1; d < x.rank(); ++d) inner *= x.shape()[d];
  if (dim >= 0 && inner >= 16) {
    // Per-channel sums over runs of 16 numbers or more (a convolution's bias gradient), split
    // over blocks of channels: each channel is added up in the order of the general loop below,
    // so the thread count changes nothing, and each block is read front to back. Shorter runs (a
    // Linear's bias gradient, one number per channel and sample) are left to the general loop,
    // which adds whole rows at a time: channel by channel, the mlp's step took 12% longer.
    const index_t channels = kept[dim];
    parallel_for(0, channels, grain_for(outer * inner), [&](index_t lo, index_t hi) {
      for (index_t n = 0; n < outer; ++n) {
        for (index_t c = lo; c < hi; ++c) po[c] += Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(px + (n * channels + c) * inner, inner).sum();
      }
    });
    return out;
  }
  BroadcastLoops(x.shape(), x.shape(), kept).run([&](index_t, index_t ix, index_t io, index_t n, index_t sx, index_t so) {
    if (so == 0 && sx == 1) {
      po[io] += Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>(px + ix, n).sum();
    } else if (so == 0) {
      T s = 0;
      for (index_t i = 0; i < n; ++i) s += px[ix + i * sx];
      po[io] += s;
    } else {
      for (index_t i = 0; i < n; ++i) po[io + i * so] += px[ix + i * sx];
    }
  });
  return out;
}

template <class T>
Tensor<T> sum_dims(const Tensor<T>& x, const std::vector<int>& dims, bool keepdim) {
  Tensor<T> kept = sum_keepdim(x, reduced_shape(x.shape(), dims, true, "sum"));
  return keepdim ? kept : kept.reshape(reduced_shape(x.shape(), dims, false, "sum"));
}

// Sums a broadcast result back to `shape`: the inverse bookkeeping of broadcasting, and so the
// gradient of every broadcasting op with respect to its smaller operand.
template <class T>
Tensor<T> sum_to(const Tensor<T>& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  if (!(broadcast_shapes(x.shape(), shape, "sum_to") == x.shape())) {
    throw ShapeError(detail::cat("sum_to: ", x.shape(), " does not broadcast from ", shape));
  }
  Shape kept;  // shape aligned to x's rank, 1 where summed
  for (int d = 0; d < x.rank(); ++d) {
    int ds = shape.rank() - x.rank() + d;
    kept.push_back(ds >= 0 ? shape[ds] : 1);
  }
  return sum_keepdim(x, kept).reshape(shape);
}

}  // namespace duel::detail
