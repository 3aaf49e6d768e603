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
#include <cstring>

#include "duel/tensor/error.hpp"
#include "duel/tensor/shape.hpp"
#include "duel/tensor/workspace.hpp"

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

// The stride phases of one channel's zero-padded image. Window offset (i, j) of output pixel
// (oh, ow) reads padded pixel (oh*sh + i*dh, ow*sw + j*dw). Writing i*dh = sh*qi + ai, that pixel is
// row oh + qi of phase ai (the padded rows whose index is ai modulo sh), and likewise along the
// width. So once the padded image is split into its sh*sw phase planes, every row of cols is a
// shifted window of one plane: OH contiguous runs of OW numbers, with no bounds checks and no
// stride in the inner loop. For stride 1 there is one phase: the padded image itself.
struct Phases {
  index_t sh, sw;      // the stride: sh * sw phase planes
  index_t rows, cols;  // of each plane: as far as the windows read (pixels beyond are never copied)

  explicit Phases(const ConvGeometry& g)
      : sh(g.stride.h), sw(g.stride.w),
        rows(g.out_h + (g.kernel_h - 1) * g.dilation.h / sh),
        cols(g.out_w + (g.kernel_w - 1) * g.dilation.w / sw) {}
  index_t plane_size() const { return rows * cols; }
  index_t size() const { return sh * sw * plane_size(); }

  // The first number window offset (i, j) reads: phase (i*dh % sh, j*dw % sw), shifted by the quotients.
  index_t window(const ConvGeometry& g, index_t i, index_t j) const {
    const index_t di = i * g.dilation.h, dj = j * g.dilation.w;
    return ((di % sh) * sw + dj % sw) * plane_size() + (di / sh) * cols + dj / sw;
  }

  // Copies one channel [height, width] into its phase planes, zeros in the padding (and beyond).
  template <class T>
  void split(const T* channel, const ConvGeometry& g, T* planes) const {
    for (index_t a = 0; a < sh; ++a) {
      for (index_t b = 0; b < sw; ++b) {
        T* plane = planes + (a * sw + b) * plane_size();
        for (index_t r = 0; r < rows; ++r) {
          const index_t y = r * sh + a - g.padding.h;
          for (index_t q = 0; q < cols; ++q) {
            const index_t x = q * sw + b - g.padding.w;
            const bool inside = y >= 0 && y < g.height && x >= 0 && x < g.width;
            plane[r * cols + q] = inside ? channel[y * g.width + x] : T(0);
          }
        }
      }
    }
  }
};

// Writes channels [c0, c1) of one image into their rows of cols; row r of cols starts at
// cols + r * col_stride (col_stride >= OH*OW lets several images share one matrix side by side).
template <class T>
void im2col(const T* image, const ConvGeometry& g, index_t c0, index_t c1, T* cols, index_t col_stride) {
  const Phases phases(g);
  T* planes = workspace<T>(2, static_cast<std::size_t>(phases.size()));
  for (index_t c = c0; c < c1; ++c) {
    phases.split(image + c * g.height * g.width, g, planes);
    for (index_t i = 0; i < g.kernel_h; ++i) {
      for (index_t j = 0; j < g.kernel_w; ++j) {
        const T* window = planes + phases.window(g, i, j);
        T* row = cols + ((c * g.kernel_h + i) * g.kernel_w + j) * col_stride;
        for (index_t oh = 0; oh < g.out_h; ++oh) {
          std::memcpy(row + oh * g.out_w, window + oh * phases.cols, static_cast<std::size_t>(g.out_w) * sizeof(T));
        }
      }
    }
  }
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

// The adjoint of im2col for channels [c0, c1): adds each column entry onto its pixel. The image
// planes of those channels are overwritten (not accumulated into). It adds straight into the image:
// going through phase planes, as im2col does, made it no faster (the adds are the work, not the
// addressing).
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
