// conv2d and conv_transpose2d, and the weight-gradient op that closes their derivatives.
//
// Three linear maps, each the derivative of the others (x image, g the conv-side tensor, W kernel):
//
//   conv2d(x, W)               x -> g         d/dx = conv_transpose2d(., W)   d/dW = conv2d_weight(x, .)
//   conv_transpose2d(g, W)     g -> x         d/dg = conv2d(., W)             d/dW = conv2d_weight(., g)
//   conv2d_weight(x, g)        (x, g) -> W    d/dx = conv_transpose2d(g, .)   d/dg = conv2d(x, .)
//
// conv_transpose2d is the adjoint of conv2d: <conv2d(x, W), g> = <x, conv_transpose2d(g, W)>.
// Because every backward is written with these ops, second derivatives work through convolutions.
#pragma once

#include "duel/ops/conv_channels_last.hpp"
#include "duel/ops/reduce.hpp"

#include <utility>

namespace duel {

struct Conv2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 dilation = 1;
};

struct ConvTranspose2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 output_padding = 0;  // extra rows/columns on one side, to pick among the sizes a stride allows
  Size2 dilation = 1;
};

namespace detail {

inline void check_conv_params(const char* op, Size2 stride, Size2 padding, Size2 dilation) {
  if (stride.h < 1 || stride.w < 1 || dilation.h < 1 || dilation.w < 1 || padding.h < 0 || padding.w < 0) {
    throw ValueError(detail::cat(op, ": stride (", stride.h, ",", stride.w, ") and dilation (", dilation.h, ",",
                                 dilation.w, ") must be >= 1 and padding (", padding.h, ",", padding.w, ") >= 0"));
  }
}

// "1 channel", "3 channels": messages that read as sentences.
inline std::string channels_str(index_t n) { return detail::cat(n, n == 1 ? " channel" : " channels"); }

template <class T>
void check_conv_operands(const char* op, const Var<T>& x, const Var<T>& w, const Var<T>& b, index_t x_channels_dim,
                         index_t bias_size) {
  if (x.rank() != 4) throw ShapeError(detail::cat(op, ": input must be [N, C, H, W], got ", x.shape()));
  if (w.rank() != 4) throw ShapeError(detail::cat(op, ": weight must be 4-D, got ", w.shape()));
  if (x.shape()[1] != w.shape()[static_cast<int>(x_channels_dim)]) {
    throw ShapeError(detail::cat(op, ": input ", x.shape(), " has ", channels_str(x.shape()[1]), " but weight ", w.shape(),
                                 " expects ", w.shape()[static_cast<int>(x_channels_dim)]));
  }
  if (b.defined() && !(b.shape() == Shape{bias_size})) {
    throw ShapeError(detail::cat(op, ": bias ", b.shape(), " does not match weight ", w.shape(), " (expected [",
                                 bias_size, "])"));
  }
}

// The channels-last kernel for images with many channels, the NCHW one otherwise.
template <class Kernel>
Kernel* pick_kernel(const ConvGeometry& geo, Kernel* channels_last, Kernel* nchw) {
  return prefers_channels_last(geo) ? channels_last : nchw;
}

// Adds b[c] to every pixel of channel c of y [N, C, H, W].
template <class T>
void add_channel_bias(Tensor<T>& y, const Var<T>& b) {
  if (!b.defined()) return;
  const index_t N = y.shape()[0], C = y.shape()[1], HW = y.shape()[2] * y.shape()[3];
  for (index_t n = 0; n < N; ++n) {
    for (index_t c = 0; c < C; ++c) y.as_matrix(N * C, HW).row(n * C + c).array() += b.value().data()[c];
  }
}

template <class T>
Var<T> conv2d_transpose_op(const Var<T>& g, const Var<T>& w, const Var<T>& b, const ConvGeometry& geo);
template <class T>
Var<T> conv2d_weight_op(const Var<T>& x, const Var<T>& g, const ConvGeometry& geo);

// x [N, C, H, W] -> [N, O, OH, OW], with w [O, C, kh, kw] and optional bias [O].
template <class T>
Var<T> conv2d_op(const Var<T>& x, const Var<T>& w, const Var<T>& b, const ConvGeometry& geo) {
  const index_t N = x.shape()[0];
  Tensor<T> y = Tensor<T>::empty({N, geo.out_channels, geo.out_h, geo.out_w});
  const T* bias = b.defined() ? b.value().data() : nullptr;
  pick_kernel(geo, conv2d_forward_channels_last<T>, conv2d_forward_kernel<T>)(x.value().data(), w.value().data(), bias,
                                                                              y.data(), N, geo);
  return record<T>("conv2d", std::move(y), {x, w, b}, [x, w, geo](const BackwardContext<T>& ctx) -> GradList<T> {
    Var<T> db = ctx.needs_grad(2) ? sum(ctx.grad, {0, 2, 3}) : Var<T>();  // first, while the gradient is still in cache
    return {ctx.needs_grad(0) ? conv2d_transpose_op(ctx.grad, w, Var<T>(), geo) : Var<T>(),
            ctx.needs_grad(1) ? conv2d_weight_op(x, ctx.grad, geo) : Var<T>(), std::move(db)};
  });
}

// conv2d(x, w) and conv2d_weight(x, gy) as plain values, from one im2col of x per chunk.
template <class T>
std::pair<Var<T>, Var<T>> conv2d_and_weight_values(const Var<T>& x, const Var<T>& w, const Var<T>& gy, const ConvGeometry& geo) {
  const index_t N = x.shape()[0];
  Tensor<T> y = Tensor<T>::empty({N, geo.out_channels, geo.out_h, geo.out_w});
  Tensor<T> dw = Tensor<T>::empty(w.shape());
  pick_kernel(geo, conv2d_forward_and_weight_channels_last<T>, conv2d_forward_and_weight_kernel<T>)(
      x.value().data(), w.value().data(), y.data(), gy.value().data(), dw.data(), N, geo);
  return {Var<T>(std::move(y)), Var<T>(std::move(dw))};
}

// g [N, O, OH, OW] -> [N, C, H, W] (the image side of geo), with w [O, C, kh, kw] and optional bias [C].
template <class T>
Var<T> conv2d_transpose_op(const Var<T>& g, const Var<T>& w, const Var<T>& b, const ConvGeometry& geo) {
  const index_t N = g.shape()[0];
  Tensor<T> x = Tensor<T>::empty({N, geo.channels, geo.height, geo.width});
  pick_kernel(geo, conv2d_transpose_channels_last<T>, conv2d_transpose_kernel<T>)(g.value().data(), w.value().data(),
                                                                                  x.data(), N, geo);
  add_channel_bias(x, b);
  return record<T>("conv_transpose2d", std::move(x), {g, w, b}, [g, w, geo](const BackwardContext<T>& ctx) -> GradList<T> {
    const Var<T> db = ctx.needs_grad(2) ? sum(ctx.grad, {0, 2, 3}) : Var<T>();
    if (ctx.needs_grad(0) && ctx.needs_grad(1) && !GradMode::is_enabled()) {  // no second derivative wanted:
      auto [dg, dw] = conv2d_and_weight_values(ctx.grad, w, g, geo);            // one im2col for both gradients
      return {dg, dw, db};
    }
    return {ctx.needs_grad(0) ? conv2d_op(ctx.grad, w, Var<T>(), geo) : Var<T>(),
            ctx.needs_grad(1) ? conv2d_weight_op(ctx.grad, g, geo) : Var<T>(), db};
  });
}

// (x [N, C, H, W], g [N, O, OH, OW]) -> [O, C, kh, kw]: the gradient of conv2d with respect to W.
template <class T>
Var<T> conv2d_weight_op(const Var<T>& x, const Var<T>& g, const ConvGeometry& geo) {
  Tensor<T> dw = Tensor<T>::empty({geo.out_channels, geo.channels, geo.kernel_h, geo.kernel_w});
  pick_kernel(geo, conv2d_weight_channels_last<T>, conv2d_weight_kernel<T>)(x.value().data(), g.value().data(), dw.data(),
                                                                            x.shape()[0], geo);
  return record<T>("conv2d_weight", std::move(dw), {x, g}, [x, g, geo](const BackwardContext<T>& ctx) -> GradList<T> {
    return {ctx.needs_grad(0) ? conv2d_transpose_op(g, ctx.grad, Var<T>(), geo) : Var<T>(),
            ctx.needs_grad(1) ? conv2d_op(x, ctx.grad, Var<T>(), geo) : Var<T>()};
  });
}

}  // namespace detail

// 2-D convolution (cross-correlation, as PyTorch): x [N, C, H, W], weight [O, C, kh, kw],
// bias [O] or undefined. Output [N, O, OH, OW] with OH = (H + 2 pad - dil (kh - 1) - 1) / stride + 1.
template <class T>
Var<T> conv2d(const Var<T>& x, const Var<T>& weight, const Var<T>& bias = {}, const Conv2dOptions& opt = {}) {
  detail::check_conv_params("conv2d", opt.stride, opt.padding, opt.dilation);
  detail::check_conv_operands("conv2d", x, weight, bias, 1, weight.rank() == 4 ? weight.shape()[0] : 0);
  const index_t kh = weight.shape()[2], kw = weight.shape()[3];
  const index_t oh = detail::conv_out_size(x.shape()[2], kh, opt.stride.h, opt.padding.h, opt.dilation.h);
  const index_t ow = detail::conv_out_size(x.shape()[3], kw, opt.stride.w, opt.padding.w, opt.dilation.w);
  if (oh <= 0 || ow <= 0) {
    throw ShapeError(detail::cat("conv2d: input ", x.shape(), " is too small for kernel ", kh, "x", kw, " with padding ",
                                 opt.padding.h, "x", opt.padding.w, " and dilation ", opt.dilation.h, "x",
                                 opt.dilation.w, " (output would be ", oh, "x", ow, ")"));
  }
  detail::ConvGeometry geo{x.shape()[1], x.shape()[2], x.shape()[3], weight.shape()[0], oh, ow, kh, kw,
                           opt.stride, opt.padding, opt.dilation};
  return detail::conv2d_op(x, weight, bias, geo);
}

// Transposed convolution: x [N, Cin, H, W], weight [Cin, Cout, kh, kw] (PyTorch's layout), bias
// [Cout] or undefined. Output [N, Cout, OH, OW] with
// OH = (H - 1) stride - 2 pad + dil (kh - 1) + output_padding + 1.
template <class T>
Var<T> conv_transpose2d(const Var<T>& x, const Var<T>& weight, const Var<T>& bias = {},
                        const ConvTranspose2dOptions& opt = {}) {
  detail::check_conv_params("conv_transpose2d", opt.stride, opt.padding, opt.dilation);
  detail::check_conv_operands("conv_transpose2d", x, weight, bias, 0, weight.rank() == 4 ? weight.shape()[1] : 0);
  const Size2 s = opt.stride, p = opt.padding, d = opt.dilation, op = opt.output_padding;
  if (op.h < 0 || op.w < 0 || (op.h >= s.h && op.h >= d.h) || (op.w >= s.w && op.w >= d.w)) {
    throw ValueError(detail::cat("conv_transpose2d: output_padding (", op.h, ",", op.w,
                                 ") must be smaller than either stride or dilation"));
  }
  const index_t kh = weight.shape()[2], kw = weight.shape()[3];
  const index_t oh = (x.shape()[2] - 1) * s.h - 2 * p.h + d.h * (kh - 1) + op.h + 1;
  const index_t ow = (x.shape()[3] - 1) * s.w - 2 * p.w + d.w * (kw - 1) + op.w + 1;
  if (oh <= 0 || ow <= 0) {
    throw ShapeError(detail::cat("conv_transpose2d: input ", x.shape(), " with kernel ", kh, "x", kw, " and padding ",
                                 p.h, "x", p.w, " gives an output of ", oh, "x", ow));
  }
  detail::ConvGeometry geo{weight.shape()[1], oh, ow, x.shape()[1], x.shape()[2], x.shape()[3], kh, kw, s, p, d};
  return detail::conv2d_transpose_op(x, weight, bias, geo);
}

}  // namespace duel
