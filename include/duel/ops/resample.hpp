// Changing the spatial size of [N, C, H, W] images: nearest-neighbour upsampling and zero padding.
// Both are linear: the adjoint of upsampling sums each block of copies, the adjoint of padding
// crops the border away.
#pragma once

#include <cstring>

#include "duel/ops/linear_map.hpp"

namespace duel {

// Each pixel repeated scale x scale times: [N, C, H, W] -> [N, C, H*scale, W*scale].
template <class T>
Var<T> upsample_nearest2d(const Var<T>& x, index_t scale = 2) {
  if (x.rank() != 4) throw ShapeError(detail::cat("upsample_nearest2d: input must be [N, C, H, W], got ", x.shape()));
  if (scale < 1) throw ValueError(detail::cat("upsample_nearest2d: scale must be >= 1, got ", scale));
  const index_t planes = x.size(0) * x.size(1), H = x.size(2), W = x.size(3);
  const Shape small = x.shape(), big{x.size(0), x.size(1), H * scale, W * scale};
  auto upsample = [=](const Tensor<T>& src) {
    Tensor<T> out = Tensor<T>::empty(big);
    for (index_t p = 0; p < planes; ++p) {
      for (index_t h = 0; h < H * scale; ++h) {
        const T* in = src.data() + (p * H + h / scale) * W;
        T* dst = out.data() + (p * H * scale + h) * W * scale;
        for (index_t w = 0; w < W * scale; ++w) dst[w] = in[w / scale];
      }
    }
    return out;
  };
  auto block_sum = [=](const Tensor<T>& g) {
    Tensor<T> out(small);
    for (index_t p = 0; p < planes; ++p) {
      for (index_t h = 0; h < H * scale; ++h) {
        const T* in = g.data() + (p * H * scale + h) * W * scale;
        T* dst = out.data() + (p * H + h / scale) * W;
        for (index_t w = 0; w < W * scale; ++w) dst[w / scale] += in[w];
      }
    }
    return out;
  };
  return detail::linear_map("upsample_nearest2d", "upsample_nearest2d_adjoint", x, upsample, block_sum);
}

// Zeros around the border of [..., H, W]: pads = {left, right, top, bottom}, as torch.nn.functional.pad.
struct Pad2d {
  index_t left = 0, right = 0, top = 0, bottom = 0;
};

template <class T>
Var<T> pad2d(const Var<T>& x, Pad2d pads) {
  if (x.rank() < 2) throw ShapeError(detail::cat("pad2d: input needs at least 2 dims, got ", x.shape()));
  if (pads.left < 0 || pads.right < 0 || pads.top < 0 || pads.bottom < 0) {
    throw ValueError(detail::cat("pad2d: pads must be >= 0, got (", pads.left, ",", pads.right, ",", pads.top, ",",
                                 pads.bottom, ")"));
  }
  const int r = x.rank();
  const index_t H = x.size(r - 2), W = x.size(r - 1), planes = x.numel() / std::max<index_t>(H * W, 1);
  const index_t PH = H + pads.top + pads.bottom, PW = W + pads.left + pads.right;
  Shape small = x.shape(), big = x.shape();
  big[r - 2] = PH;
  big[r - 1] = PW;
  // copies rows between the small image and its place inside the big one
  auto copy = [=](const T* from, T* to, bool into_big) {
    for (index_t p = 0; p < planes; ++p) {
      for (index_t h = 0; h < H; ++h) {
        const index_t s = (p * H + h) * W, b = (p * PH + h + pads.top) * PW + pads.left;
        if (W > 0) std::memcpy(to + (into_big ? b : s), from + (into_big ? s : b), static_cast<std::size_t>(W) * sizeof(T));
      }
    }
  };
  auto pad = [=](const Tensor<T>& src) {
    Tensor<T> out(big);
    copy(src.data(), out.data(), true);
    return out;
  };
  auto crop = [=](const Tensor<T>& g) {
    Tensor<T> out = Tensor<T>::empty(small);
    copy(g.data(), out.data(), false);
    return out;
  };
  return detail::linear_map("pad2d", "crop2d", x, pad, crop);
}

}  // namespace duel
