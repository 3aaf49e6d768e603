// Activations: relu, leaky_relu, sigmoid, tanh, softplus.
#pragma once

#include "duel/ops/math.hpp"

namespace duel {

// max(x, 0); d/dx = 1 where x > 0, else 0
template <class T>
Var<T> relu(const Var<T>& x) {
  return record<T>("relu", detail::map(x.value(), [](const auto& a) { return a.max(T(0)); }), {x},
                   [x](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {detail::times_constant_map(ctx.grad, x, [](const auto& a) { return detail::indicator<T>(a > T(0)); })};
                   });
}

// x where x > 0, slope * x elsewhere; d/dx = 1 or slope
template <class T>
Var<T> leaky_relu(const Var<T>& x, double negative_slope = 0.01) {
  const T s = static_cast<T>(negative_slope);
  return record<T>("leaky_relu", detail::map(x.value(), [s](const auto& a) { return (a > T(0)).select(a, a * s); }), {x},
                   [x, s](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {detail::times_constant_map(ctx.grad, x, [s](const auto& a) {
                               return (a > T(0)).select(Eigen::Array<T, Eigen::Dynamic, 1>::Constant(a.size(), T(1)),
                                                        Eigen::Array<T, Eigen::Dynamic, 1>::Constant(a.size(), s));
                             })};
                   });
}

// 1 / (1 + e^-x), which saturates cleanly to 0 or 1 for large |x|; d/dx = s (1 - s)
template <class T>
Var<T> sigmoid(const Var<T>& x) {
  return record<T>("sigmoid", detail::map(x.value(), [](const auto& a) { return T(1) / (T(1) + (-a).exp()); }), {x},
                   [](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {ctx.grad * ctx.output * (1.0 - ctx.output)};
                   });
}

// d tanh(x)/dx = 1 - tanh(x)^2
template <class T>
Var<T> tanh(const Var<T>& x) {
  return record<T>("tanh", detail::map(x.value(), [](const auto& a) { return a.tanh(); }), {x},
                   [](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {ctx.grad * (1.0 - ctx.output * ctx.output)};
                   });
}

// log(1 + e^x), computed as max(x, 0) + log(1 + e^-|x|) so that it neither overflows for large x
// nor loses everything to rounding for very negative x; d/dx = sigmoid(x). As in PyTorch, inputs
// above threshold return x itself (and pass the gradient unchanged).
template <class T>
Var<T> softplus(const Var<T>& x, double threshold = 20) {
  const T th = static_cast<T>(threshold);
  return record<T>("softplus", detail::map(x.value(), [th](const auto& a) {
                     return (a > th).select(a, a.max(T(0)) + (-a.abs()).exp().log1p());
                   }),
                   {x}, [x, th](const BackwardContext<T>& ctx) -> GradList<T> {
                     Var<T> above = detail::constant_map(x, [th](const auto& a) { return detail::indicator<T>(a > th); });
                     return {ctx.grad * (sigmoid(x) * (1.0 - above) + above)};
                   });
}

}  // namespace duel
