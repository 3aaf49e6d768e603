// Arithmetic with broadcasting: + - * / and pow, between Vars or with a scalar.
//
// For z = f(a, b) broadcast to a common shape, dL/da = sum_to(dL/dz * dz/da, shape of a): the
// derivative is taken elementwise in the broadcast shape, then summed back over the copies.
#pragma once

#include <cmath>

#include "duel/ops/broadcast.hpp"
#include "duel/tensor/broadcast.hpp"

namespace duel {

template <class T>
Var<T> operator*(const Var<T>& a, const Var<T>& b);
template <class T>
Var<T> operator/(const Var<T>& a, const Var<T>& b);
template <class T>
Var<T> operator*(const Var<T>& a, double s);
template <class T>
Var<T> pow(const Var<T>& x, double p);
template <class T>
Var<T> log(const Var<T>& x);

template <class T>
Var<T> operator+(const Var<T>& a, const Var<T>& b) {
  return record<T>("add", detail::broadcast_binary(a.value(), b.value(), "add", [](T x, T y) { return x + y; }), {a, b},
                   [sa = a.shape(), sb = b.shape()](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {sum_to(ctx.grad, sa), sum_to(ctx.grad, sb)};
                   });
}

template <class T>
Var<T> operator-(const Var<T>& x) {
  Tensor<T> out = Tensor<T>::empty(x.shape());
  out.as_array() = -x.value().as_array();
  return record<T>("neg", std::move(out), {x}, [](const BackwardContext<T>& ctx) -> GradList<T> { return {-ctx.grad}; });
}

template <class T>
Var<T> operator-(const Var<T>& a, const Var<T>& b) {
  return record<T>("sub", detail::broadcast_binary(a.value(), b.value(), "sub", [](T x, T y) { return x - y; }), {a, b},
                   [sa = a.shape(), sb = b.shape()](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {sum_to(ctx.grad, sa), ctx.needs_grad(1) ? sum_to(-ctx.grad, sb) : Var<T>()};
                   });
}

template <class T>
Var<T> operator*(const Var<T>& a, const Var<T>& b) {
  return record<T>("mul", detail::broadcast_binary(a.value(), b.value(), "mul", [](T x, T y) { return x * y; }), {a, b},
                   [a, b](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {ctx.needs_grad(0) ? sum_to(ctx.grad * b, a.shape()) : Var<T>(),
                             ctx.needs_grad(1) ? sum_to(ctx.grad * a, b.shape()) : Var<T>()};
                   });
}

// d(a/b)/da = 1/b,  d(a/b)/db = -a/b^2 = -(a/b)/b
template <class T>
Var<T> operator/(const Var<T>& a, const Var<T>& b) {
  return record<T>("div", detail::broadcast_binary(a.value(), b.value(), "div", [](T x, T y) { return x / y; }), {a, b},
                   [a, b](const BackwardContext<T>& ctx) -> GradList<T> {
                     return {ctx.needs_grad(0) ? sum_to(ctx.grad / b, a.shape()) : Var<T>(),
                             ctx.needs_grad(1) ? sum_to(-(ctx.grad * ctx.output / b), b.shape()) : Var<T>()};
                   });
}

// With a scalar s (taken as double, converted to T).
template <class T>
Var<T> operator+(const Var<T>& x, double s) {
  Tensor<T> out = Tensor<T>::empty(x.shape());
  out.as_array() = x.value().as_array() + static_cast<T>(s);
  return record<T>("add_scalar", std::move(out), {x}, [](const BackwardContext<T>& ctx) -> GradList<T> { return {ctx.grad}; });
}

template <class T>
Var<T> operator*(const Var<T>& x, double s) {
  Tensor<T> out = Tensor<T>::empty(x.shape());
  out.as_array() = x.value().as_array() * static_cast<T>(s);
  return record<T>("mul_scalar", std::move(out), {x},
                   [s](const BackwardContext<T>& ctx) -> GradList<T> { return {ctx.grad * s}; });
}

// s / x: d/dx = -s/x^2 = -(s/x)/x
template <class T>
Var<T> operator/(double s, const Var<T>& x) {
  Tensor<T> out = Tensor<T>::empty(x.shape());
  out.as_array() = static_cast<T>(s) / x.value().as_array();
  return record<T>("rdiv_scalar", std::move(out), {x},
                   [x](const BackwardContext<T>& ctx) -> GradList<T> { return {-(ctx.grad * ctx.output / x)}; });
}

template <class T>
Var<T> operator+(double s, const Var<T>& x) { return x + s; }
template <class T>
Var<T> operator-(const Var<T>& x, double s) { return x + (-s); }
template <class T>
Var<T> operator-(double s, const Var<T>& x) { return -x + s; }
template <class T>
Var<T> operator*(double s, const Var<T>& x) { return x * s; }
template <class T>
Var<T> operator/(const Var<T>& x, double s) { return x * (1.0 / s); }

// x^p for a scalar exponent: d/dx = p x^(p-1)
template <class T>
Var<T> pow(const Var<T>& x, double p) {
  Tensor<T> out = Tensor<T>::empty(x.shape());
  out.as_array() = x.value().as_array().pow(static_cast<T>(p));
  return record<T>("pow_scalar", std::move(out), {x}, [x, p](const BackwardContext<T>& ctx) -> GradList<T> {
    if (p == 0) return {ctx.grad * 0.0};
    return {ctx.grad * pow(x, p - 1) * p};
  });
}

// a^b elementwise with broadcasting: d/da = b a^(b-1), taken as 0 where b = 0, and
// d/db = a^b log(a), taken as 0 where a = 0 and b >= 0 (the limits that PyTorch also uses, so
// that 0^b does not poison the gradient with NaN: 0 * 0^-1 and 0 * log(0) are both NaN).
template <class T>
Var<T> pow(const Var<T>& a, const Var<T>& b) {
  return record<T>("pow", detail::broadcast_binary(a.value(), b.value(), "pow", [](T x, T y) { return std::pow(x, y); }),
                   {a, b}, [a, b](const BackwardContext<T>& ctx) -> GradList<T> {
                     Var<T> ga, gb;
                     if (ctx.needs_grad(0)) {
                       Tensor<T> zero_b = Tensor<T>::empty(b.shape());  // 1 where b = 0: a^(b-1) is then a^0
                       zero_b.as_array() = (b.value().as_array() == T(0)).template cast<T>();
                       ga = sum_to(ctx.grad * b * pow(a, b + Var<T>(std::move(zero_b)) - 1.0), a.shape());
                     }
                     if (ctx.needs_grad(1)) {
                       Var<T> keep(detail::broadcast_binary(a.value(), b.value(), "pow", [](T x, T y) {
                         return T(x == T(0) && y >= T(0) ? 0 : 1);
                       }));
                       Var<T> safe_a = a * keep + (1.0 - keep);  // 1 where the term is dropped, so log is finite
                       gb = sum_to(ctx.grad * ctx.output * log(safe_a) * keep, b.shape());
                     }
                     return {ga, gb};
                   });
}

}  // namespace duel

// pow's backward calls log, which lives with the other elementwise functions; including them here
// lets a file that includes only this header differentiate pow (otherwise log<T> is never defined).
#include "duel/ops/math.hpp"
