// Linear ops and their adjoints.
//
// Many ops are linear maps y = A x whose matrix A never needs to be written down: pooling,
// upsampling, padding, picking entries by index. The gradient of a linear map is its adjoint,
// dL/dx = A^T dL/dy, and the adjoint's gradient is the map itself. So one pair of plain tensor
// functions (forward, adjoint) gives an op that can be differentiated any number of times.
#pragma once

#include "duel/autograd/var.hpp"

namespace duel::detail {

// forward and adjoint are Tensor<T> -> Tensor<T> functions with <forward(x), y> = <x, adjoint(y)>.
template <class T, class Forward, class Adjoint>
Var<T> linear_map(const char* name, const char* adjoint_name, const Var<T>& x, Forward forward, Adjoint adjoint) {
  return record<T>(name, forward(x.value()), {x},
                   [name, adjoint_name, forward, adjoint](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {linear_map(adjoint_name, name, ctx.grad, adjoint, forward)};
                   });
}

}  // namespace duel::detail
