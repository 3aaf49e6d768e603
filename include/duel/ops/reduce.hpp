// Reductions: sum and mean over all elements or over chosen dims (keepdim keeps them as size 1).
// The gradient of a sum copies the incoming gradient back over every summed element.
#pragma once

#include "duel/ops/arithmetic.hpp"
#include "duel/ops/shape.hpp"

namespace duel {

// Sums over dims (every dim when dims is empty), as torch.sum.
template <class T>
Var<T> sum(const Var<T>& x, const std::vector<int>& dims = {}, bool keepdim = false) {
  Shape kept = detail::reduced_shape(x.shape(), dims, true, "sum");
  Shape out = detail::reduced_shape(x.shape(), dims, keepdim, "sum");
  return record<T>("sum", detail::sum_keepdim(x.value(), kept).reshape(out), {x},
                   [kept, from = x.shape()](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {broadcast_to(reshape(ctx.grad, kept), from)};
                   });
}

// Averages over dims (every dim when dims is empty), as torch.mean.
template <class T>
Var<T> mean(const Var<T>& x, const std::vector<int>& dims = {}, bool keepdim = false) {
  index_t count = x.numel() / std::max<index_t>(detail::reduced_shape(x.shape(), dims, true, "mean").numel(), 1);
  return sum(x, dims, keepdim) * (1.0 / static_cast<double>(count));
}

}  // namespace duel
