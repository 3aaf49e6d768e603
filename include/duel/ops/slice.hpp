// slice and cat. Taking a slice and padding a gradient back into place with zeros are adjoint
// linear maps, so each is the other's derivative; the gradient of cat is one slice per input.
#pragma once

#include <algorithm>
#include <cstring>
#include <vector>

#include "duel/autograd/var.hpp"

namespace duel {
namespace detail {

// A shape seen as [outer, n, inner] around one dim, the layout every slice and cat walks.
struct AroundDim {
  index_t outer = 1, n = 1, inner = 1;
  AroundDim(const Shape& s, int dim) {
    for (int d = 0; d < s.rank(); ++d) (d < dim ? outer : d == dim ? n : inner) *= s[d];
  }
};

// Copies count rows start, start + step, ... of dim (rows of `inner` elements) from src to dst,
// or from the compact src into the rows of dst when scatter is set.
template <class T>
void copy_rows(const T* src, T* dst, const AroundDim& full, index_t start, index_t step, index_t count, bool scatter) {
  if (count == 0 || full.inner == 0) return;
  for (index_t o = 0; o < full.outer; ++o) {
    for (index_t k = 0; k < count; ++k) {
      const index_t f = (o * full.n + start + k * step) * full.inner, c = (o * count + k) * full.inner;
      if (scatter) std::memcpy(dst + f, src + c, static_cast<std::size_t>(full.inner) * sizeof(T));
      else std::memcpy(dst + c, src + f, static_cast<std::size_t>(full.inner) * sizeof(T));
    }
  }
}

template <class T>
Tensor<T> slice_values(const Tensor<T>& x, int dim, index_t start, index_t step, index_t count) {
  Shape s = x.shape();
  s[dim] = count;
  Tensor<T> out = Tensor<T>::empty(s);
  copy_rows(x.data(), out.data(), AroundDim(x.shape(), dim), start, step, count, false);
  return out;
}

}  // namespace detail

template <class T>
Var<T> slice(const Var<T>& x, int dim, index_t start, index_t end, index_t step = 1);

// Zeros of shape `full` with g written at rows start, start + step, ... of dim: the adjoint of slice.
template <class T>
Var<T> unslice(const Var<T>& g, const Shape& full, int dim, index_t start, index_t step) {
  Tensor<T> out(full);
  detail::copy_rows(g.value().data(), out.data(), detail::AroundDim(full, dim), start, step, g.shape()[dim], true);
  return record<T>("unslice", std::move(out), {g},
                   [dim, start, step, count = g.shape()[dim]](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {slice(ctx.grad, dim, start, start + count * step, step)};
                   });
}

// Rows start, start + step, ... before end of dim, as x[..., start:end:step, ...] in Python:
// negative indices count from the end and out-of-range bounds are clipped.
template <class T>
Var<T> slice(const Var<T>& x, int dim, index_t start, index_t end, index_t step) {
  dim = x.shape().normalize_dim(dim, "slice");
  if (step <= 0) throw ValueError(detail::cat("slice: step must be positive, got ", step));
  const index_t n = x.shape()[dim];
  auto clip = [n](index_t i) { return std::clamp<index_t>(i < 0 ? i + n : i, 0, n); };
  start = clip(start);
  end = clip(end);
  const index_t count = end > start ? (end - start + step - 1) / step : 0;
  return record<T>("slice", detail::slice_values(x.value(), dim, start, step, count), {x},
                   [full = x.shape(), dim, start, step](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {unslice(ctx.grad, full, dim, start, step)};
                   });
}

// Joins tensors along dim; all other sizes must agree.
template <class T>
Var<T> cat(const std::vector<Var<T>>& xs, int dim = 0) {
  if (xs.empty()) throw ValueError("cat: no tensors to join");
  Shape s = xs[0].shape();
  dim = s.normalize_dim(dim, "cat");
  s[dim] = 0;
  for (const Var<T>& x : xs) {
    Shape probe = x.shape();
    if (probe.rank() != s.rank()) throw ShapeError(detail::cat("cat: ", x.shape(), " and ", xs[0].shape(), " differ in rank"));
    probe[dim] = 0;
    if (!(probe == s)) throw ShapeError(detail::cat("cat: ", x.shape(), " and ", xs[0].shape(), " differ outside dim ", dim));
  }
  for (const Var<T>& x : xs) s[dim] += x.shape()[dim];
  Tensor<T> out = Tensor<T>::empty(s);
  std::vector<index_t> starts, sizes;
  index_t start = 0;
  for (const Var<T>& x : xs) {
    starts.push_back(start);
    sizes.push_back(x.shape()[dim]);
    detail::copy_rows(x.value().data(), out.data(), detail::AroundDim(s, dim), start, 1, x.shape()[dim], true);
    start += x.shape()[dim];
  }
  return record<T>("cat", std::move(out), xs, [dim, starts, sizes](const BackwardContext<T>& ctx) -> GradList<T> {
    GradList<T> grads(starts.size());
    for (std::size_t i = 0; i < starts.size(); ++i) {
      if (ctx.needs_grad(i)) grads[i] = slice(ctx.grad, dim, starts[i], starts[i] + sizes[i]);
    }
    return grads;
  });
}

}  // namespace duel
