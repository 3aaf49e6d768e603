// The transposed column matrix of channels-last (NHWC) images: how the channels-last kernels
// (conv_channels_last.hpp) build it, pack it for the GEMM without building it, and fold it back.
//
//   colsT [B*OH*OW, kh*kw*C]     row (b, oh, ow), column (i, j, c) = x[b, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
//
// Window offset (i, j) of an output pixel is a run of C contiguous numbers of an NHWC image, so
// colsT is built from copies of C numbers, and col2im, its adjoint, adds runs of C numbers. The
// rows go band by band (row_bands.hpp), and only the columns of a row's band are written: the
// runs that would be padding zeros outside it are never read.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstring>

#include "duel/ops/gemm_packing.hpp"
#include "duel/ops/row_bands.hpp"
#include "duel/ops/transpose.hpp"
#include "duel/tensor/parallel.hpp"
#include "duel/tensor/workspace.hpp"

namespace duel::detail {

// The pixel y*W + x that window offset (i, j) of output pixel (oh, ow) reads, or -1 in the padding.
inline index_t window_pixel(const ConvGeometry& g, index_t oh, index_t ow, index_t i, index_t j) {
  const index_t y = oh * g.stride.h - g.padding.h + i * g.dilation.h, x = ow * g.stride.w - g.padding.w + j * g.dilation.w;
  return y >= 0 && y < g.height && x >= 0 && x < g.width ? y * g.width + x : -1;
}

// Calls f(pixel, column) for each window offset (i, j) of output pixel l whose run lies in the
// band's columns: pixel as window_pixel gives it, and column = (i*kw + j)*C, where the run starts
// in a row of colsT.
template <class F>
void for_each_window(const ConvGeometry& g, const RowBand& band, index_t l, const F& f) {
  const index_t oh = l / g.out_w, ow = l % g.out_w, row_columns = g.kernel_w * g.channels;
  for (index_t i = band.column / row_columns; i < (band.column + band.columns) / row_columns; ++i)
    for (index_t j = 0; j < g.kernel_w; ++j) f(window_pixel(g, oh, ow, i, j), (i * g.kernel_w + j) * g.channels);
}

// Rows of colsT (stride ld) for images [n0, n0 + B) of x [N, C, H, W]. Each thread transposes one
// image at a time into NHWC, in its own buffer (slot 6), which stays in cache while the image's
// windows are copied out of it.
template <class T>
void im2col_channels_last(const T* x, const ConvGeometry& g, const RowBands& bands, index_t n0, index_t B, T* colsT,
                          index_t ld) {
  const index_t C = g.channels;
  parallel_for(0, B, 1, [&](index_t lo, index_t hi) {
    T* image = workspace<T>(6, static_cast<std::size_t>(g.image_size()));
    for (index_t b = lo; b < hi; ++b) {
      transpose_matrix(x + (n0 + b) * g.image_size(), C, g.height * g.width, image);
      for (const RowBand& band : bands) {
        for (index_t l = band.first; l < band.first + band.count; ++l) {
          T* row = colsT + band.row(B, b, l) * ld;
          for_each_window(g, band, l, [&](index_t pixel, index_t column) {
            if (pixel < 0) std::fill(row + column, row + column + C, T(0));
            else std::memcpy(row + column, image + pixel * C, static_cast<std::size_t>(C) * sizeof(T));
          });
        }
      }
    }
  });
}

// The adjoint: images [n0, n0 + B) of x [N, C, H, W] = the sum, onto each pixel, of the runs of
// colsT copied from it, added up in NHWC in the thread's buffer (slot 6) and transposed into x.
template <class T>
void col2im_channels_last(const T* colsT, index_t ld, const ConvGeometry& g, const RowBands& bands, index_t n0, index_t B,
                          T* x) {
  using Run = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  using ConstRun = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
  const index_t C = g.channels;
  parallel_for(0, B, 1, [&](index_t lo, index_t hi) {
    T* image = workspace<T>(6, static_cast<std::size_t>(g.image_size()));
    for (index_t b = lo; b < hi; ++b) {
      std::fill(image, image + g.image_size(), T(0));
      for (const RowBand& band : bands) {
        for (index_t l = band.first; l < band.first + band.count; ++l) {
          const T* row = colsT + band.row(B, b, l) * ld;
          for_each_window(g, band, l, [&](index_t pixel, index_t column) {
            if (pixel >= 0) Run(image + pixel * C, C) += ConstRun(row + column, C);
          });
        }
      }
      transpose_matrix(image, g.height * g.width, C, x + (n0 + b) * g.image_size());
    }
  });
}

// The images of x [N, C, H, W] as NHWC [N, H, W, C] (slot 0).
template <class T>
const T* channels_last_images(const T* x, index_t batch, const ConvGeometry& g) {
  T* images = workspace<T>(0, static_cast<std::size_t>(batch * g.image_size()));
  parallel_for(0, batch, 1, [&](index_t lo, index_t hi) {
    for (index_t b = lo; b < hi; ++b) transpose_matrix(x + b * g.image_size(), g.channels, g.height * g.width, images + b * g.image_size());
  });
  return images;
}

// The packer of one band's block of colsT for gemm_blocks, reading NHWC images: row r of the
// block is pixel first + r % count of image r / count, column k is the band's column + k, and a
// panel row at the columns of window offset (i, j) is that pixel's run of C channels (null in the
// padding), which pack_rows transposes into place.
template <class T>
struct WindowPanels {
  const T* images;
  const ConvGeometry& g;
  RowBand band;

  void operator()(index_t i, index_t k, index_t m, index_t kc, T* Ap) const {
    constexpr int MR = GemmBlocking<T>::mr;
    const index_t C = g.channels, first = band.column + k, last = first + kc;
    for (index_t p = 0; p < m; p += MR, Ap += MR * kc) {
      const T* image[MR];
      index_t oh[MR], ow[MR];
      for (int r = 0; r < MR; ++r) {
        const index_t row = i + p + r, l = band.first + row % band.count;
        image[r] = p + r < m ? images + row / band.count * g.image_size() : nullptr;
        oh[r] = l / g.out_w;
        ow[r] = l % g.out_w;
      }
      for (index_t col = first; col < last;) {
        const index_t window = col / C, c = col % C, count = std::min(C - c, last - col);
        const index_t wi = window / g.kernel_w, wj = window % g.kernel_w;
        const T* run[MR];
        for (int r = 0; r < MR; ++r) {
          const index_t pixel = image[r] ? window_pixel(g, oh[r], ow[r], wi, wj) : -1;
          run[r] = pixel >= 0 ? image[r] + pixel * C + c : nullptr;
        }
        pack_rows(run, count, Ap + (col - first) * MR);
        col += count;
      }
    }
  }
};

}  // namespace duel::detail
