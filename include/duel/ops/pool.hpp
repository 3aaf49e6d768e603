// Pooling: max_pool2d and avg_pool2d over windows of [N, C, H, W] images, as PyTorch computes them
// (floor mode: windows that would run past the padded border are dropped).
//
// Both are linear once the window contents are known:
//   max pooling picks one pixel per window, y = x[argmax]: its gradient puts g back at the argmax
//     (scatter-add), and the gradient of that scatter is picking again (gather);
//   average pooling is y = A x with A^T spreading each g evenly over its window.
#pragma once

#include <cmath>
#include <memory>
#include <vector>

#include "duel/ops/im2col.hpp"
#include "duel/ops/linear_map.hpp"

namespace duel {

struct Pool2dOptions {
  Size2 kernel_size = 2;
  Size2 stride = 0;  // 0 means: equal to kernel_size, as in PyTorch
  Size2 padding = 0;
  Size2 dilation = 1;             // max_pool2d only: gaps between the window's pixels
  bool count_include_pad = true;  // avg_pool2d only: padding counts in the divisor
};

namespace detail {

struct PoolGeometry {
  index_t planes, height, width, out_h, out_w;  // planes = N * C
  Size2 kernel, stride, padding, dilation;
};

inline PoolGeometry pool_geometry(const char* op, const Shape& x, const Pool2dOptions& opt) {
  if (x.rank() != 4) throw ShapeError(detail::cat(op, ": input must be [N, C, H, W], got ", x));
  Size2 k = opt.kernel_size, s = opt.stride.h == 0 && opt.stride.w == 0 ? opt.kernel_size : opt.stride, p = opt.padding,
        d = opt.dilation;
  if (k.h < 1 || k.w < 1 || s.h < 1 || s.w < 1 || d.h < 1 || d.w < 1 || p.h < 0 || p.w < 0 || 2 * p.h > k.h ||
      2 * p.w > k.w) {
    throw ValueError(detail::cat(op, ": kernel ", k.h, "x", k.w, ", stride ", s.h, "x", s.w, " and dilation ", d.h, "x",
                                 d.w, " must be >= 1 and padding ", p.h, "x", p.w, " at most half the kernel"));
  }
  PoolGeometry g{x[0] * x[1], x[2], x[3], conv_out_size(x[2], k.h, s.h, p.h, d.h), conv_out_size(x[3], k.w, s.w, p.w, d.w),
                 k, s, p, d};
  if (g.out_h <= 0 || g.out_w <= 0) {
    throw ShapeError(detail::cat(op, ": input ", x, " is smaller than the ", k.h, "x", k.w, " window"));
  }
  return g;
}

// Calls visit(plane, out_index, in_index) for every pixel inside every window, in order.
template <class Visit>
void for_each_window_pixel(const PoolGeometry& g, Visit visit) {
  for (index_t p = 0; p < g.planes; ++p) {
    for (index_t oh = 0; oh < g.out_h; ++oh) {
      for (index_t ow = 0; ow < g.out_w; ++ow) {
        const index_t o = (p * g.out_h + oh) * g.out_w + ow;
        for (index_t i = 0; i < g.kernel.h; ++i) {
          const index_t h = oh * g.stride.h - g.padding.h + i * g.dilation.h;
          if (h < 0 || h >= g.height) continue;
          for (index_t j = 0; j < g.kernel.w; ++j) {
            const index_t w = ow * g.stride.w - g.padding.w + j * g.dilation.w;
            if (w >= 0 && w < g.width) visit(o, (p * g.height + h) * g.width + w);
          }
        }
      }
    }
  }
}

// y[o] = x[index[o]] (gather) and its adjoint x[index[o]] += g[o] (scatter-add).
template <class T>
Var<T> gather_flat(const Var<T>& x, std::shared_ptr<const std::vector<index_t>> index, Shape out_shape) {
  auto gather = [index, out_shape](const Tensor<T>& src) {
    Tensor<T> out = Tensor<T>::empty(out_shape);
    for (std::size_t o = 0; o < index->size(); ++o) out.data()[o] = src.data()[(*index)[o]];
    return out;
  };
  auto scatter = [index, in_shape = x.shape()](const Tensor<T>& g) {
    Tensor<T> out(in_shape);
    for (std::size_t o = 0; o < index->size(); ++o) out.data()[(*index)[o]] += g.data()[o];
    return out;
  };
  return linear_map("gather", "scatter_add", x, gather, scatter);
}

}  // namespace detail

// The largest value of each window.
template <class T>
Var<T> max_pool2d(const Var<T>& x, const Pool2dOptions& opt = {}) {
  const detail::PoolGeometry g = detail::pool_geometry("max_pool2d", x.shape(), opt);
  auto argmax = std::make_shared<std::vector<index_t>>(static_cast<std::size_t>(g.planes * g.out_h * g.out_w), -1);
  const T* px = x.value().data();
  detail::for_each_window_pixel(g, [&](index_t o, index_t i) {
    index_t& best = (*argmax)[static_cast<std::size_t>(o)];
    if (best < 0 || px[i] > px[best] || std::isnan(px[i])) best = i;  // NaN wins, as in PyTorch
  });
  return detail::gather_flat<T>(x, argmax, {x.size(0), x.size(1), g.out_h, g.out_w});
}

// The mean of each window. The divisor is kh * kw, or with count_include_pad = false the number
// of the window's pixels inside the image.
template <class T>
Var<T> avg_pool2d(const Var<T>& x, const Pool2dOptions& opt = {}) {
  if (!(opt.dilation == Size2(1))) throw ValueError("avg_pool2d: dilation is not supported (PyTorch has none either)");
  const detail::PoolGeometry g = detail::pool_geometry("avg_pool2d", x.shape(), opt);
  const Shape in_shape = x.shape(), out_shape{x.size(0), x.size(1), g.out_h, g.out_w};
  auto weights = std::make_shared<Tensor<T>>(out_shape);  // 1 / divisor of each window
  if (opt.count_include_pad) {
    weights->fill_(T(1) / static_cast<T>(g.kernel.h * g.kernel.w));
  } else {
    detail::for_each_window_pixel(g, [&](index_t o, index_t) { weights->data()[o] += T(1); });
    weights->as_array() = weights->as_array().inverse();
  }
  auto average = [g, weights, out_shape](const Tensor<T>& src) {
    Tensor<T> out(out_shape);
    detail::for_each_window_pixel(g, [&](index_t o, index_t i) { out.data()[o] += src.data()[i] * weights->data()[o]; });
    return out;
  };
  auto spread = [g, weights, in_shape](const Tensor<T>& grad) {
    Tensor<T> out(in_shape);
    detail::for_each_window_pixel(g, [&](index_t o, index_t i) { out.data()[i] += grad.data()[o] * weights->data()[o]; });
    return out;
  };
  return detail::linear_map("avg_pool2d", "avg_pool2d_adjoint", x, average, spread);
}

}  // namespace duel
