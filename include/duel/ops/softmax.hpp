// log_softmax and softmax along one dim.
//
// log_softmax(x)_i = x_i - m - log(sum_j exp(x_j - m)) with m = max_j x_j: subtracting the max
// keeps every exp in (0, 1], so logits of +-100 (or +-1e4) neither overflow nor lose the answer.
// Gradient: dL/dx = g - softmax(x) * sum_j g_j.
#pragma once

#include <algorithm>
#include <cmath>

#include "duel/ops/math.hpp"
#include "duel/ops/reduce.hpp"
#include "duel/ops/slice.hpp"

namespace duel {

template <class T>
Var<T> log_softmax(const Var<T>& x, int dim = -1) {
  dim = x.shape().normalize_dim(dim, "log_softmax");
  const detail::AroundDim a(x.shape(), dim);
  Tensor<T> out = Tensor<T>::empty(x.shape());
  const T* px = x.value().data();
  T* po = out.data();
  for (index_t o = 0; o < a.outer; ++o) {
    for (index_t i = 0; i < a.inner; ++i) {
      const T* row = px + o * a.n * a.inner + i;
      T* dst = po + o * a.n * a.inner + i;
      T m = -std::numeric_limits<T>::infinity();
      for (index_t k = 0; k < a.n; ++k) m = std::max(m, row[k * a.inner]);
      T s = 0;
      for (index_t k = 0; k < a.n; ++k) s += std::exp(row[k * a.inner] - m);
      const T shift = m + std::log(s);
      for (index_t k = 0; k < a.n; ++k) dst[k * a.inner] = row[k * a.inner] - shift;
    }
  }
  return record<T>("log_softmax", std::move(out), {x}, [dim](const BackwardContext<T>& ctx) -> GradList<T> {
    return {ctx.grad - exp(ctx.output) * sum(ctx.grad, {dim}, true)};
  });
}

// exp(log_softmax(x)): probabilities along dim that sum to 1.
template <class T>
Var<T> softmax(const Var<T>& x, int dim = -1) { return exp(log_softmax(x, dim)); }

}  // namespace duel
