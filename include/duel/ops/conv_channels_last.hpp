// The convolution kernels of conv_kernels.hpp through channels-last copies, for images with many
// channels.
//
// im2col of an NCHW image gathers each channel's pixels one at a time into its window planes
// (im2col.hpp). With the channels innermost (NHWC), window offset (i, j) of an output pixel is C
// contiguous numbers, so the transposed column matrix
//
//   colsT [B*OH*OW, kh*kw*C]     row (b, oh, ow), column (i, j, c) = x[b, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw]
//
// is built from copies of C numbers, and col2im, its adjoint, adds runs of C numbers. The price
// is one transpose of each image into NHWC (or back), and the weights reordered to
// WT [O, kh*kw*C]. For the critic's 64-channel 14 x 14 -> 7 x 7 convolution at batch 64 on one
// core, against the window planes: im2col 0.94 -> 0.37 ms with its transpose, col2im 1.5 -> 0.53 ms.
//
//   forward      yT    = colsT(x) WT^T          yT [B*L, O], transposed into y [B, O, L]
//   transposed   colsT = gT WT, then x = col2im(colsT)
//   weight       dWT   = sum over chunks of g colsT(x)
//
// The forward of 32 output channels or more never writes colsT: WindowPanels packs the GEMM's
// panels of it straight from the NHWC images (an implicit GEMM).
//
// The rows of colsT and WT are padded when their length is a multiple of 1 KB: 8 rows of C tile
// or B panel 4 KB apart share cache sets, which slowed those products by 25%.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstring>

#include "duel/ops/conv_kernels.hpp"
#include "duel/ops/transpose.hpp"

namespace duel::detail {

// Channels-last copies pay off from runs of 16 channels.
inline bool prefers_channels_last(const ConvGeometry& g) { return g.channels >= 16; }

template <class T>
index_t channels_last_stride(index_t k) {
  const auto bytes = static_cast<index_t>(sizeof(T));
  return (k * bytes) % 1024 == 0 ? k + 64 / bytes : k;
}

// The pixel y*W + x that window offset (i, j) of output pixel (oh, ow) reads, or -1 in the padding.
inline index_t window_pixel(const ConvGeometry& g, index_t oh, index_t ow, index_t i, index_t j) {
  const index_t y = oh * g.stride.h - g.padding.h + i * g.dilation.h, x = ow * g.stride.w - g.padding.w + j * g.dilation.w;
  return y >= 0 && y < g.height && x >= 0 && x < g.width ? y * g.width + x : -1;
}

// Calls f(pixel, column) for each window offset (i, j) of output pixel (oh, ow): pixel as
// window_pixel gives it, and column = (i*kw + j)*C, where its run starts in a row of colsT.
template <class F>
void for_each_window(const ConvGeometry& g, index_t oh, index_t ow, const F& f) {
  for (index_t i = 0; i < g.kernel_h; ++i)
    for (index_t j = 0; j < g.kernel_w; ++j) f(window_pixel(g, oh, ow, i, j), (i * g.kernel_w + j) * g.channels);
}

// Rows of colsT (stride ld) for images [n0, n0 + B) of x [N, C, H, W]. Each thread transposes one
// image at a time into NHWC, in its own buffer (slot 6), which stays in cache while the image's
// windows are copied out of it.
template <class T>
void im2col_channels_last(const T* x, const ConvGeometry& g, index_t n0, index_t B, T* colsT, index_t ld) {
  const index_t C = g.channels, L = g.out_area();
  parallel_for(0, B, 1, [&](index_t lo, index_t hi) {
    T* image = workspace<T>(6, static_cast<std::size_t>(g.image_size()));
    for (index_t b = lo; b < hi; ++b) {
      transpose_matrix(x + (n0 + b) * g.image_size(), C, g.height * g.width, image);
      for (index_t l = 0; l < L; ++l) {
        T* row = colsT + (b * L + l) * ld;
        for_each_window(g, l / g.out_w, l % g.out_w, [&](index_t pixel, index_t column) {
          if (pixel < 0) std::fill(row + column, row + column + C, T(0));
          else std::memcpy(row + column, image + pixel * C, static_cast<std::size_t>(C) * sizeof(T));
        });
      }
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

// The packer of colsT for gemm_blocks, reading NHWC images: row (b, oh, ow) of a panel at the
// columns of window offset (i, j) is that pixel's run of C channels (null in the padding), and
// pack_rows transposes the panel's MR runs into place.
template <class T>
struct WindowPanels {
  const T* images;
  const ConvGeometry& g;

  void operator()(index_t i, index_t k, index_t m, index_t kc, T* Ap) const {
    constexpr int MR = GemmBlocking<T>::mr;
    const index_t C = g.channels, L = g.out_area();
    for (index_t p = 0; p < m; p += MR, Ap += MR * kc) {
      const T* image[MR];
      index_t oh[MR], ow[MR];
      for (int r = 0; r < MR; ++r) {
        const index_t row = i + p + r, l = row % L;
        image[r] = p + r < m ? images + row / L * g.image_size() : nullptr;
        oh[r] = l / g.out_w;
        ow[r] = l % g.out_w;
      }
      for (index_t col = k; col < k + kc;) {
        const index_t window = col / C, c = col % C, count = std::min(C - c, k + kc - col);
        const index_t wi = window / g.kernel_w, wj = window % g.kernel_w;
        const T* run[MR];
        for (int r = 0; r < MR; ++r) {
          const index_t pixel = image[r] ? window_pixel(g, oh[r], ow[r], wi, wj) : -1;
          run[r] = pixel >= 0 ? image[r] + pixel * C + c : nullptr;
        }
        pack_rows(run, count, Ap + (col - k) * MR);
        col += count;
      }
    }
  }
};

// The adjoint: images [n0, n0 + B) of x [N, C, H, W] = the sum, onto each pixel, of the runs of
// colsT copied from it, added up in NHWC in the thread's buffer (slot 6) and transposed into x.
template <class T>
void col2im_channels_last(const T* colsT, index_t ld, const ConvGeometry& g, index_t n0, index_t B, T* x) {
  using Run = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  using ConstRun = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
  const index_t C = g.channels, L = g.out_area();
  parallel_for(0, B, 1, [&](index_t lo, index_t hi) {
    T* image = workspace<T>(6, static_cast<std::size_t>(g.image_size()));
    for (index_t b = lo; b < hi; ++b) {
      std::fill(image, image + g.image_size(), T(0));
      for (index_t l = 0; l < L; ++l) {
        const T* row = colsT + (b * L + l) * ld;
        for_each_window(g, l / g.out_w, l % g.out_w, [&](index_t pixel, index_t column) {
          if (pixel >= 0) Run(image + pixel * C, C) += ConstRun(row + column, C);
        });
      }
      transpose_matrix(image, g.height * g.width, C, x + (n0 + b) * g.image_size());
    }
  });
}

// WT (workspace slot 7): the weights w [O, C, kh, kw] with columns (i, j, c), rows of stride ld.
// Each row is the transpose of w[o] seen as [C, kh*kw].
template <class T>
const T* channels_last_weights(const T* w, const ConvGeometry& g, index_t ld) {
  const index_t C = g.channels, kk = g.kernel_h * g.kernel_w;
  T* wt = workspace<T>(7, static_cast<std::size_t>(g.out_channels * ld));
  parallel_for(0, g.out_channels, grain_for(C * kk), [&](index_t lo, index_t hi) {
    for (index_t o = lo; o < hi; ++o) transpose_matrix(w + o * C * kk, C, kk, wt + o * ld);
  });
  return wt;
}

// Images per chunk: conv_chunk's, rounded down to a multiple of the thread count when larger,
// since the copies in and out of colsT give each thread whole images.
inline index_t channels_last_chunk(index_t batch, index_t per_image) {
  const index_t chunk = conv_chunk(batch, per_image), threads = get_num_threads();
  return chunk > threads ? chunk / threads * threads : chunk;
}

// Calls body(colsT, n0, B) for each chunk of images [n0, n0 + B), colsT holding their columns.
template <class T, class Body>
void for_each_channels_last_chunk(const T* x, index_t batch, const ConvGeometry& g, index_t ld, const Body& body) {
  const index_t L = g.out_area(), chunk = channels_last_chunk(batch, L * ld);
  T* colsT = workspace<T>(0, static_cast<std::size_t>(chunk * L * ld));
  for (index_t n0 = 0; n0 < batch; n0 += chunk) {
    const index_t B = std::min(chunk, batch - n0);
    im2col_channels_last(x, g, n0, B, colsT, ld);
    body(static_cast<const T*>(colsT), n0, B);
  }
}

// y[n0 .. n0+B) = yT^T + bias, image by image, from yT [B*L, O] (transpose_matrix: the critic's
// [49, 128] images took 0.075 ms per batch through Eigen's transpose, 0.044 ms so).
template <class T>
void store_channels_last_output(const T* yt, const T* bias, T* y, index_t n0, index_t B, const ConvGeometry& g) {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const index_t L = g.out_area(), O = g.out_channels;
  parallel_for(0, B, 1, [&](index_t lo, index_t hi) {
    for (index_t b = lo; b < hi; ++b) {
      T* out = y + (n0 + b) * O * L;
      transpose_matrix(yt + b * L * O, L, O, out);
      if (bias) Eigen::Map<Matrix>(out, O, L).colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(bias, O);
    }
  });
}

// One chunk of the forward: y[n0 .. n0+B) = (colsT WT^T)^T + bias, through yT [B*L, O] (slot 1).
template <class T>
void forward_chunk_channels_last(const T* colsT, index_t ld, const T* wt, const T* bias, T* y, index_t n0, index_t B,
                                 const ConvGeometry& g) {
  const index_t K = g.col_rows(), L = g.out_area(), O = g.out_channels;
  T* yt = workspace<T>(1, static_cast<std::size_t>(B * L * O));
  gemm_kernel<T>(B * L, O, K, {colsT, ld, 1}, {wt, 1, ld}, yt, O, false);
  store_channels_last_output(yt, bias, y, n0, B, g);
}

// dw [O, C, kh, kw] from dWT (zeros for an empty batch, which no chunk wrote).
template <class T>
void store_channels_last_weight_grad(const T* dwt, index_t batch, const ConvGeometry& g, index_t ld, T* dw) {
  if (batch == 0) {
    std::fill(dw, dw + g.out_channels * g.col_rows(), T(0));
    return;
  }
  const index_t C = g.channels, kk = g.kernel_h * g.kernel_w;
  parallel_for(0, g.out_channels, grain_for(C * kk), [&](index_t lo, index_t hi) {
    for (index_t o = lo; o < hi; ++o) transpose_matrix(dwt + o * ld, kk, C, dw + o * C * kk);
  });
}

// The column matrix, kh*kw / (sh*sw) times the size of x, never goes through memory: the
// critic's Conv2d(64, 128) forward went from 4.06 to 3.88 ms at one thread. Chunks keep the NHWC
// copy in cache (dcgan64's Conv2d(64, 128) on 32 x 32 images: 26 ms for the whole batch, 22.5 in
// chunks of 16 images).
template <class T>
void conv2d_forward_channels_last(const T* x, const T* w, const T* bias, T* y, index_t batch, const ConvGeometry& g) {
  const index_t K = g.col_rows(), L = g.out_area(), O = g.out_channels, ld = channels_last_stride<T>(K);
  const T* wt = channels_last_weights(w, g, ld);
  if (O < GemmBlocking<T>::nr) {  // too few output channels for whole panels: gemm_kernel turns the product over
    for_each_channels_last_chunk(x, batch, g, ld, [&](const T* colsT, index_t n0, index_t B) {
      forward_chunk_channels_last(colsT, ld, wt, bias, y, n0, B, g);
    });
    return;
  }
  // Chunks of at most 1M numbers of NHWC images, so that they stay in cache while they are packed.
  const index_t chunk = channels_last_chunk(batch, g.image_size());
  for (index_t n0 = 0; n0 < batch; n0 += chunk) {
    const index_t B = std::min(chunk, batch - n0);
    const T* images = channels_last_images(x + n0 * g.image_size(), B, g);
    T* yt = workspace<T>(1, static_cast<std::size_t>(B * L * O));
    gemm_blocks<T>(B * L, O, K, WindowPanels<T>{images, g}, {wt, 1, ld}, yt, O, false);
    store_channels_last_output(yt, bias, y, n0, B, g);
  }
}

template <class T>
void conv2d_weight_channels_last(const T* x, const T* gy, T* dw, index_t batch, const ConvGeometry& g) {
  const index_t ld = channels_last_stride<T>(g.col_rows());
  T* dwt = workspace<T>(8, static_cast<std::size_t>(g.out_channels * ld));
  for_each_channels_last_chunk(x, batch, g, ld, [&](const T* colsT, index_t n0, index_t B) {
    weight_chunk<T>({colsT, ld, 1}, gy, dwt, ld, n0, B, g);
  });
  store_channels_last_weight_grad(dwt, batch, g, ld, dw);
}

template <class T>
void conv2d_forward_and_weight_channels_last(const T* x, const T* w, T* y, const T* gy, T* dw, index_t batch,
                                             const ConvGeometry& g) {
  const index_t ld = channels_last_stride<T>(g.col_rows());
  const T* wt = channels_last_weights(w, g, ld);
  T* dwt = workspace<T>(8, static_cast<std::size_t>(g.out_channels * ld));
  for_each_channels_last_chunk(x, batch, g, ld, [&](const T* colsT, index_t n0, index_t B) {
    // Both use slot 1 in turn: the forward's product is in y before g is gathered there.
    forward_chunk_channels_last<T>(colsT, ld, wt, nullptr, y, n0, B, g);
    weight_chunk<T>({colsT, ld, 1}, gy, dwt, ld, n0, B, g);
  });
  store_channels_last_weight_grad(dwt, batch, g, ld, dw);
}

template <class T>
void conv2d_transpose_channels_last(const T* gy, const T* w, T* x, index_t batch, const ConvGeometry& g) {
  const index_t K = g.col_rows(), L = g.out_area(), O = g.out_channels, ld = channels_last_stride<T>(K);
  const T* wt = channels_last_weights(w, g, ld);
  const index_t chunk = channels_last_chunk(batch, L * ld);
  T* colsT = workspace<T>(0, static_cast<std::size_t>(chunk * L * ld));
  for_each_gradient_chunk(gy, batch, chunk, g, [&](const T* G, index_t n0, index_t B) {
    gemm_kernel<T>(B * L, K, O, {G, 1, B * L}, {wt, ld, 1}, colsT, ld, false);  // gT WT
    col2im_channels_last(colsT, ld, g, n0, B, x);
  });
}

}  // namespace duel::detail
