// Matrix products through Duel's GEMM kernel (gemm_kernel.hpp), and the fully connected layer's op, linear.
//
// For C = A B with dL/dC = G:  dL/dA = G B^T  and  dL/dB = A^T G.
// Transposes are flags on one differentiable product, gemm(A, ta, B, tb) = op(A) op(B), so that the
// backward never copies a matrix just to transpose it.
#pragma once

#include "duel/ops/broadcast.hpp"
#include "duel/ops/gemm_kernel.hpp"
#include "duel/ops/shape.hpp"

namespace duel {
namespace detail {

template <class T>
Tensor<T> gemm_values(const Tensor<T>& a, bool ta, const Tensor<T>& b, bool tb, const char* op) {
  if (a.rank() != 2 || b.rank() != 2) {
    throw ShapeError(detail::cat(op, ": expects 2-D operands, got ", a.shape(), " x ", b.shape()));
  }
  const index_t m = a.shape()[ta ? 1 : 0], ka = a.shape()[ta ? 0 : 1];
  const index_t kb = b.shape()[tb ? 1 : 0], n = b.shape()[tb ? 0 : 1];
  if (ka != kb) {
    throw ShapeError(detail::cat(op, ": ", a.shape(), ta ? "^T" : "", " x ", b.shape(), tb ? "^T" : "",
                                 ": inner dimensions ", ka, " and ", kb, " differ"));
  }
  Tensor<T> out = Tensor<T>::empty({m, n});
  const index_t lda = a.shape()[1], ldb = b.shape()[1];  // a transposed operand swaps its strides
  const StridedMatrix<T> A{a.data(), ta ? 1 : lda, ta ? lda : 1}, B{b.data(), tb ? 1 : ldb, tb ? ldb : 1};
  gemm_kernel(m, n, ka, A, B, out.data(), n, false);
  return out;
}

// op(a) op(b), differentiable. With C = op(A) op(B) and G = dL/dC:
//   dA = G op(B)^T, or its transpose op(B) G^T when A enters transposed;
//   dB = op(A)^T G, or its transpose G^T op(A) when B enters transposed.
template <class T>
Var<T> gemm(const Var<T>& a, bool ta, const Var<T>& b, bool tb) {
  return record<T>("matmul", gemm_values(a.value(), ta, b.value(), tb, "matmul"), {a, b},
                   [a, ta, b, tb](const BackwardContext<T>& ctx) -> GradList<T> {
                     const Var<T>& g = ctx.grad;
                     Var<T> ga, gb;
                     if (ctx.needs_grad(0)) ga = ta ? gemm(b, tb, g, true) : gemm(g, false, b, !tb);
                     if (ctx.needs_grad(1)) gb = tb ? gemm(g, true, a, ta) : gemm(a, !ta, g, false);
                     return {ga, gb};
                   });
}

}  // namespace detail

// The matrix product of two 2-D Vars: [m,k] x [k,n] -> [m,n].
template <class T>
Var<T> matmul(const Var<T>& a, const Var<T>& b) { return detail::gemm(a, false, b, false); }

// y = x W^T + b for x [..., in], W [out, in] (PyTorch's layout), b [out] or undefined.
// Gradients: dx = G W, dW = G^T x, db = the sum of G over the batch.
template <class T>
Var<T> linear(const Var<T>& x, const Var<T>& weight, const Var<T>& bias = {}) {
  if (weight.rank() != 2 || x.rank() < 1 || x.shape().back() != weight.shape()[1]) {
    throw ShapeError(detail::cat("linear: input ", x.shape(), " does not end in the ", weight.rank() == 2 ? weight.shape()[1] : -1,
                                 " features that weight ", weight.shape(), " expects"));
  }
  if (bias.defined() && !(bias.shape() == Shape{weight.shape()[0]})) {
    throw ShapeError(detail::cat("linear: bias ", bias.shape(), " does not match weight ", weight.shape()));
  }
  if (x.rank() != 2) {  // fold the leading dims into one batch dim and unfold them afterwards
    Shape out = x.shape();
    out[out.rank() - 1] = weight.shape()[0];
    return reshape(linear(reshape(x, {-1, weight.shape()[1]}), weight, bias), out);
  }
  Tensor<T> y = detail::gemm_values(x.value(), false, weight.value(), true, "linear");
  if (bias.defined()) y.as_matrix().rowwise() += bias.value().as_matrix(1, bias.numel()).row(0);
  return record<T>("linear", std::move(y), {x, weight, bias}, [x, weight, bias](const BackwardContext<T>& ctx) -> GradList<T> {
    const Var<T>& g = ctx.grad;
    return {ctx.needs_grad(0) ? detail::gemm(g, false, weight, false) : Var<T>(),
            ctx.needs_grad(1) ? detail::gemm(g, true, x, false) : Var<T>(),
            ctx.needs_grad(2) ? sum_to(g, bias.shape()) : Var<T>()};
  });
}

}  // namespace duel
