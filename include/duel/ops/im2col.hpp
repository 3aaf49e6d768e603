// im2col and col2im: convolution as a matrix product.
//
// A convolution slides a C x kh x kw window over the image. im2col copies every window into one
// column of a matrix, so that the whole convolution becomes one GEMM:
//
//   image [C, H, W]            cols [C*kh*kw, OH*OW]                 out [O, OH*OW]
//   +---------+                 window (oh,ow) -> column oh*OW+ow     = W [O, C*kh*kw] x cols
//   |  +--+   |   im2col        row (c,i,j) holds
//   |  |  |   |  -------->      x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]   (0 in the padding)
//   |  +--+   |
//   +---------+
//
// col2im is its adjoint: it adds every column entry back onto the pixel it was copied from.
// Pixels covered by several windows receive the sum, which is exactly what the gradient of
// im2col (and the forward pass of a transposed convolution) needs.
#pragma once

#include <algorithm>
#include <array>

#include "duel/tensor/error.hpp"
#include "duel/tensor/shape.hpp"

namespace duel {

// Two sizes, one per spatial dim (height, width); a single number means both.
struct Size2 {
  index_t h = 0, w = 0;
  Size2(index_t both = 0) : h(both), w(both) {}  // NOLINT: implicit, so that {.stride = 2} reads naturally
  Size2(index_t height, index_t width) : h(height), w(width) {}
  friend bool operator==(const Size2&, const Size2&) = default;
};

namespace detail {

// One convolution, per sample: an image [C, H, W] and a kernel [.., C, kh, kw] give [O, OH, OW].
// For a transposed convolution the same geometry is read backwards: its input is the [O, OH, OW]
// side and its output the image side.
struct ConvGeometry {
  index_t channels, height, width;  // the image side
  index_t out_channels, out_h, out_w;
  index_t kernel_h, kernel_w;
  Size2 stride, padding, dilation;

  index_t col_rows() const { return channels * kernel_h * kernel_w; }
  index_t out_area() const { return out_h * out_w; }
  index_t image_size() const { return channels * height * width; }
};

// PyTorch's output size of a convolution along one dim: floor(room / stride) + 1, where room is
// how far the window can slide. A window larger than the padded input (room < 0) gives 0, not
// the 1 that C++'s division, rounding -2 / 3 up to 0, would.
inline index_t conv_out_size(index_t in, index_t kernel, index_t stride, index_t pad, index_t dilation) {
  const index_t room = in + 2 * pad - dilation * (kernel - 1) - 1;
  return room < 0 ? 0 : room / stride + 1;
}

// For each output position o along one dim, the input index is o*stride - pad + k*dilation; this
// returns the range [lo, hi) of o for which that index lies inside [0, in).
inline std::array<index_t, 2> valid_range(index_t in, index_t out, index_t stride, index_t pad, index_t offset) {
  // need 0 <= o*stride + (offset - pad) < in
  const index_t shift = offset - pad;
  index_t lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
  index_t hi = in - shift <= 0 ? 0 : (in - shift + stride - 1) / stride;
  lo = std::min(lo, out);
  hi = std::clamp(hi, lo, out);
  return {lo, hi};
}

// Writes channels [c0, c1) of one image into their rows of cols; row r of cols starts at
// cols + r * col_stride (col_stride >= OH*OW lets several images share one matrix side by side).
template <class T>
void im2col(const T* image, const ConvGeometry& g, index_t c0, index_t c1, T* cols, index_t col_stride) {
  const index_t OW = g.out_w;
  for (index_t c = c0; c < c1; ++c) {
    for (index_t i = 0; i < g.kernel_h; ++i) {
      const auto [oh_lo, oh_hi] = valid_range(g.height, g.out_h, g.stride.h, g.padding.h, i * g.dilation.h);
      for (index_t j = 0; j < g.kernel_w; ++j) {
        const auto [ow_lo, ow_hi] = valid_range(g.width, OW, g.stride.w, g.padding.w, j * g.dilation.w);
        T* row = cols + ((c * g.kernel_h + i) * g.kernel_w + j) * col_stride;
        std::fill(row, row + oh_lo * OW, T(0));
        for (index_t oh = oh_lo; oh < oh_hi; ++oh) {
          // pixel of output column ow: image[base + ow * stride]
          const index_t base = (c * g.height + oh * g.stride.h - g.padding.h + i * g.dilation.h) * g.width +
                               (j * g.dilation.w - g.padding.w);
          T* dst = row + oh * OW;
          std::fill(dst, dst + ow_lo, T(0));
          if (g.stride.w == 1) {
            std::copy(image + base + ow_lo, image + base + ow_hi, dst + ow_lo);
          } else {
            for (index_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow] = image[base + ow * g.stride.w];
          }
          std::fill(dst + ow_hi, dst + OW, T(0));
        }
        std::fill(row + oh_hi * OW, row + g.out_h * OW, T(0));
      }
    }
  }
}

// The adjoint of im2col for channels [c0, c1): adds each column entry onto its pixel. The image
// planes of those channels are overwritten (not accumulated into).
template <class T>
void col2im(const T* cols, index_t col_stride, const ConvGeometry& g, index_t c0, index_t c1, T* image) {
  const index_t OW = g.out_w;
  std::fill(image + c0 * g.height * g.width, image + c1 * g.height * g.width, T(0));
  for (index_t c = c0; c < c1; ++c) {
    for (index_t i = 0; i < g.kernel_h; ++i) {
      const auto [oh_lo, oh_hi] = valid_range(g.height, g.out_h, g.stride.h, g.padding.h, i * g.dilation.h);
      for (index_t j = 0; j < g.kernel_w; ++j) {
        const auto [ow_lo, ow_hi] = valid_range(g.width, OW, g.stride.w, g.padding.w, j * g.dilation.w);
        const T* row = cols + ((c * g.kernel_h + i) * g.kernel_w + j) * col_stride;
        for (index_t oh = oh_lo; oh < oh_hi; ++oh) {
          const index_t base = (c * g.height + oh * g.stride.h - g.padding.h + i * g.dilation.h) * g.width +
                               (j * g.dilation.w - g.padding.w);
          const T* src = row + oh * OW;
          for (index_t ow = ow_lo; ow < ow_hi; ++ow) image[base + ow * g.stride.w] += src[ow];
        }
      }
    }
  }
}

}  // namespace detail
}  // namespace duel
