// broadcast_to and sum_to: the pair behind every broadcasting op.
//
// Broadcasting copies a value along new or size-1 dims; its gradient adds the copies back up.
// So the backward of broadcast_to is sum_to, and the backward of sum_to is broadcast_to: a linear
// map and its adjoint, each the other's derivative.
#pragma once

#include "duel/autograd/var.hpp"
#include "duel/tensor/reduce.hpp"

namespace duel {

template <class T>
Var<T> sum_to(const Var<T>& x, const Shape& shape);

// x repeated along its size-1 (or missing leading) dims to fill shape (torch.broadcast_to).
template <class T>
Var<T> broadcast_to(const Var<T>& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return record<T>("broadcast_to", detail::broadcast_to(x.value(), shape), {x},
                   [from = x.shape()](const BackwardContext<T>& ctx) -> GradList<T> { return {sum_to(ctx.grad, from)}; });
}

// x summed down to shape, which x's shape must broadcast from (the gradient of broadcasting).
template <class T>
Var<T> sum_to(const Var<T>& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return record<T>("sum_to", detail::sum_to(x.value(), shape), {x},
                   [from = x.shape()](const BackwardContext<T>& ctx) -> GradList<T> { return {broadcast_to(ctx.grad, from)}; });
}

}  // namespace duel
