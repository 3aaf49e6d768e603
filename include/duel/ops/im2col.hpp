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

// The window planes of one channel, which turn every row of cols into one contiguous block.
// Window offset (i, j) of output pixel (oh, ow) reads padded pixel (oh*sh + i*dh, ow*sw + j*dw).
// Writing i*dh = sh*qi + a, that is row oh + qi of the plane
//
//   P(a, j)[r][ow] = padded(r*sh + a, ow*sw + j*dw)        a < sh (a row phase), j < kw
//
// whose rows are exactly OW wide. So row (c, i, j) of cols, OH rows of OW numbers, is the
// contiguous block of P(i*dh % sh, j) that starts at row qi: im2col gathers the planes and then
// makes kh*kw long copies per channel, and col2im, its adjoint, adds kh*kw long blocks onto the
// planes and scatters them back. Copying or adding window rows one at a time instead (kh*kw*OH
// runs of OW numbers) took twice as long for the 7 x 7 outputs of dcgan28's critic (a 64-channel
// layer, which now takes conv_channels_last.hpp; the planes serve images with few channels).
struct WindowPlanes {
  index_t sh, kw, rows, width;  // sh*kw planes of rows x width (width = OW)

  explicit WindowPlanes(const ConvGeometry& g)
      : sh(g.stride.h), kw(g.kernel_w), rows(g.out_h + (g.kernel_h - 1) * g.dilation.h / sh), width(g.out_w) {}
  index_t plane_size() const { return rows * width; }
  index_t size() const { return sh * kw * plane_size(); }

  // Where the block of window offset (i, j) starts.
  index_t window(const ConvGeometry& g, index_t i, index_t j) const {
    const index_t di = i * g.dilation.h;
    return ((di % sh) * kw + j) * plane_size() + (di / sh) * width;
  }

  // Calls run(plane_offset, pixel, n) for each plane row, with the part of it inside the image:
  // entries plane_offset + q hold the channel's pixels pixel + q*sw, for q < n. The rest of the
  // planes is padding.
  template <class Run>
  void for_each_run(const ConvGeometry& g, const Run& run) const {
    for (index_t a = 0; a < sh; ++a) {
      const auto [r_lo, r_hi] = valid_range(g.height, rows, sh, g.padding.h, a);
      for (index_t j = 0; j < kw; ++j) {
        const auto [lo, hi] = valid_range(g.width, width, g.stride.w, g.padding.w, j * g.dilation.w);
        if (lo == hi) continue;
        for (index_t r = r_lo; r < r_hi; ++r) {  // padded row r*sh + a, padded columns q*sw + j*dw
          const index_t pixel = (r * sh + a - g.padding.h) * g.width + lo * g.stride.w + j * g.dilation.w - g.padding.w;
          run(((a * kw + j) * rows + r) * width + lo, pixel, hi - lo);
        }
      }
    }
  }

  // planes = the window planes of one channel [height, width], zeros in the padding.
  template <class T>
  void gather(const T* channel, const ConvGeometry& g, T* planes) const {
    std::fill(planes, planes + size(), T(0));
    for_each_run(g, [&](index_t offset, index_t pixel, index_t n) {
      for (index_t q = 0; q < n; ++q) planes[offset + q] = channel[pixel + q * g.stride.w];
    });
  }

  // The adjoint of gather: channel = the sum of the plane entries that hold each pixel.
  template <class T>
  void scatter(const T* planes, const ConvGeometry& g, T* channel) const {
    std::fill(channel, channel + g.height * g.width, T(0));
    for_each_run(g, [&](index_t offset, index_t pixel, index_t n) {
      for (index_t q = 0; q < n; ++q) channel[pixel + q * g.stride.w] += planes[offset + q];
    });
  }
};

// Writes channels [c0, c1) of one image into their rows of cols; row r of cols starts at
// cols + r * col_stride (col_stride >= OH*OW lets several images share one matrix side by side).
template <class T>
void im2col(const T* image, const ConvGeometry& g, index_t c0, index_t c1, T* cols, index_t col_stride) {
  const WindowPlanes planes(g);
  T* buffer = workspace<T>(2, static_cast<std::size_t>(planes.size()));
  const auto block = static_cast<std::size_t>(g.out_area()) * sizeof(T);
  for (index_t c = c0; c < c1; ++c) {
    planes.gather(image + c * g.height * g.width, g, buffer);
    for (index_t i = 0; i < g.kernel_h; ++i) {
      for (index_t j = 0; j < g.kernel_w; ++j) {
        std::memcpy(cols + ((c * g.kernel_h + i) * g.kernel_w + j) * col_stride, buffer + planes.window(g, i, j), block);
      }
    }
  }
}

// The adjoint of im2col for channels [c0, c1): adds each column entry onto its pixel. The image
// planes of those channels are overwritten (not accumulated into).
template <class T>
void col2im(const T* cols, index_t col_stride, const ConvGeometry& g, index_t c0, index_t c1, T* image) {
  const WindowPlanes planes(g);
  T* buffer = workspace<T>(2, static_cast<std::size_t>(planes.size()));
  const index_t L = g.out_area();
  for (index_t c = c0; c < c1; ++c) {
    std::fill(buffer, buffer + planes.size(), T(0));
    for (index_t i = 0; i < g.kernel_h; ++i) {
      for (index_t j = 0; j < g.kernel_w; ++j) {
        const T* src = cols + ((c * g.kernel_h + i) * g.kernel_w + j) * col_stride;
        T* dst = buffer + planes.window(g, i, j);
        for (index_t l = 0; l < L; ++l) dst[l] += src[l];
      }
    }
    planes.scatter(buffer, g, image + c * g.height * g.width);
  }
}

}  // namespace detail
}  // namespace duel
