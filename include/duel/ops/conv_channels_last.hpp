// The convolution kernels of conv_kernels.hpp through channels-last copies, for images with many
// channels.
//
// im2col of an NCHW image gathers each channel's pixels one at a time into its window planes
// (im2col.hpp). With the channels innermost (NHWC), the transposed column matrix colsT is built
// from copies of C numbers (channels_last_columns.hpp). The price is one transpose of each image
// into NHWC (or back), and the weights reordered to WT [O, kh*kw*C]. For the critic's 64-channel
// 14 x 14 -> 7 x 7 convolution at batch 64 on one core, against the window planes: im2col
// 0.94 -> 0.37 ms with its transpose, col2im 1.5 -> 0.53 ms.
//
//   forward      yT    = colsT(x) WT^T          yT [B*L, O], transposed into y [B, O, L]
//   transposed   colsT = gT WT, then x = col2im(colsT)
//   weight       dWT   = sum over chunks of g colsT(x)
//
// Each product runs band by band (row_bands.hpp) over only the columns of colsT, and rows of WT,
// that the band's windows read inside the image: the padding's zeros are never multiplied.
// The forward of 32 output channels or more never writes colsT: WindowPanels packs the GEMM's
// panels of it straight from the NHWC images (an implicit GEMM).
//
// The rows of colsT and WT are padded when their length is a multiple of 1 KB: 8 rows of C tile
// or B panel 4 KB apart share cache sets, which slowed those products by 25%.
#pragma once

#include <Eigen/Core>
#include <algorithm>

#include "duel/ops/channels_last_columns.hpp"
#include "duel/ops/conv_kernels.hpp"

namespace duel::detail {

// Channels-last copies pay off from runs of 16 channels.
inline bool prefers_channels_last(const ConvGeometry& g) { return g.channels >= 16; }

template <class T>
index_t channels_last_stride(index_t k) {
  const auto bytes = static_cast<index_t>(sizeof(T));
  return (k * bytes) % 1024 == 0 ? k + 64 / bytes : k;
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

// Calls body(n0, B) for chunks of images [n0, n0 + B), as many chunks for each thread, each chunk
// on one thread: what a thread copies, multiplies and copies back then stays with it, and the call
// makes one parallel loop instead of several per chunk. The threads' chunks share conv_chunk's
// budget of numbers (per_image for each image), so that together they hold what one chunk would:
// the demo's peak RSS 92.3 -> 88.7 MB against a budget for each thread, and no slower.
template <class Body>
void for_each_chunk_on_threads(index_t batch, index_t per_image, const Body& body) {
  const index_t threads = get_num_threads(), most = conv_chunk(batch, per_image * threads);
  const index_t chunks = std::min(batch, ((batch + most - 1) / most + threads - 1) / threads * threads);
  parallel_for(0, chunks, 1, [&](index_t lo, index_t hi) {
    for (index_t c = lo; c < hi; ++c) body(c * batch / chunks, (c + 1) * batch / chunks - c * batch / chunks);
  });
}

// Calls body(colsT, n0, B) for each chunk of images [n0, n0 + B), colsT holding their columns.
template <class T, class Body>
void for_each_channels_last_chunk(const T* x, index_t batch, const ConvGeometry& g, const RowBands& bands, index_t ld,
                                  const Body& body) {
  const index_t L = g.out_area(), chunk = channels_last_chunk(batch, L * ld);
  T* colsT = workspace<T>(0, static_cast<std::size_t>(chunk * L * ld));
  for (index_t n0 = 0; n0 < batch; n0 += chunk) {
    const index_t B = std::min(chunk, batch - n0);
    im2col_channels_last(x, g, bands, n0, B, colsT, ld);
    body(static_cast<const T*>(colsT), n0, B);
  }
}

// y[n0 .. n0+B) = yT^T + bias, image by image and band by band, from yT [B*L, O] in colsT's row
// order (transpose_matrix: the critic's [49, 128] images took 0.075 ms per batch through Eigen's
// transpose, 0.044 ms so).
template <class T>
void store_channels_last_output(const T* yt, const T* bias, T* y, index_t n0, index_t B, const ConvGeometry& g,
                                const RowBands& bands) {
  using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const index_t L = g.out_area(), O = g.out_channels;
  parallel_for(0, B, 1, [&](index_t lo, index_t hi) {
    for (index_t b = lo; b < hi; ++b) {
      T* out = y + (n0 + b) * O * L;
      for (const RowBand& band : bands) transpose_matrix(yt + band.row(B, b, band.first) * O, band.count, O, out + band.first, L);
      if (bias) Eigen::Map<Matrix>(out, O, L).colwise() += Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, 1>>(bias, O);
    }
  });
}

// One chunk of the forward, y[n0 .. n0+B) = (colsT WT^T)^T + bias, through yT [B*L, O] (slot 1):
// product(band, out) writes the band's rows of yT at out.
template <class T, class Product>
void forward_chunk_channels_last(const Product& product, const T* bias, T* y, index_t n0, index_t B, const ConvGeometry& g,
                                 const RowBands& bands) {
  const index_t O = g.out_channels;
  T* yt = workspace<T>(1, static_cast<std::size_t>(B * g.out_area() * O));
  for (const RowBand& band : bands) product(band, yt + band.first_row(B) * O);
  store_channels_last_output(yt, bias, y, n0, B, g, bands);
}

// The forward product from colsT: gemm_kernel turns it over when O is too small for whole panels.
template <class T>
auto product_from_columns(const T* colsT, const T* wt, index_t ld, index_t B, const ConvGeometry& g) {
  return [=, &g](const RowBand& band, T* out) {
    gemm_kernel<T>(B * band.count, g.out_channels, band.columns, {colsT + band.first_row(B) * ld + band.column, ld, 1},
                   {wt + band.column, 1, ld}, out, g.out_channels, false);
  };
}

// One chunk of the weight gradient: dWT (=|+=) g[n0 .. n0+B) colsT, g gathered in slot 1. The
// columns of each run of kernel rows that the same windows read inside the image take the product
// over just those windows' rows: for the critic, kernel row 0 without the top band, rows 1-2 with
// every band, row 3 without the bottom band. (A product per band instead adds onto dWT once more
// per band, which cost what skipping saved.)
template <class T>
void weight_chunk_channels_last(const T* colsT, index_t ld, const T* gy, T* dwt, bool accumulate, index_t n0, index_t B,
                                const ConvGeometry& g, const RowBands& bands) {
  const index_t L = g.out_area(), O = g.out_channels, row_columns = g.kernel_w * g.channels;
  const T* G = gather_bands(gy, g, bands, n0, B, workspace<T>(1, static_cast<std::size_t>(O * B * L)));
  for (index_t i = 0, next = 0; i < g.kernel_h; i = next) {
    const auto rows = bands.rows_reading(i, B);
    for (next = i + 1; next < g.kernel_h && bands.rows_reading(next, B) == rows;) ++next;
    const index_t lo = rows[0], hi = rows[1], column = i * row_columns, columns = (next - i) * row_columns;
    if (lo < hi) {
      gemm_kernel<T>(O, columns, hi - lo, {G + lo, B * L, 1}, {colsT + lo * ld + column, ld, 1}, dwt + column, ld, accumulate);
    } else if (!accumulate) {  // kernel rows no window reads inside the image
      for (index_t o = 0; o < O; ++o) std::fill(dwt + o * ld + column, dwt + o * ld + column + columns, T(0));
    }
  }
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
  const index_t K = g.col_rows(), O = g.out_channels, ld = channels_last_stride<T>(K);
  const RowBands bands(g);
  const T* wt = channels_last_weights(w, g, ld);
  if (O < GemmBlocking<T>::nr) {  // too few output channels for whole panels: the product goes through colsT
    for_each_channels_last_chunk(x, batch, g, bands, ld, [&](const T* colsT, index_t n0, index_t B) {
      forward_chunk_channels_last(product_from_columns(colsT, wt, ld, B, g), bias, y, n0, B, g, bands);
    });
    return;
  }
  // Chunks of NHWC images, 1M numbers between the threads, so that they stay in cache while packed.
  for_each_chunk_on_threads(batch, g.image_size(), [&](index_t n0, index_t B) {
    const T* images = channels_last_images(x + n0 * g.image_size(), B, g);
    auto product = [&](const RowBand& band, T* out) {
      const index_t M = B * band.count;
      if (band.columns == 0) std::fill(out, out + M * O, T(0));  // windows wholly in the padding
      else gemm_blocks<T>(M, O, band.columns, WindowPanels<T>{images, g, band}, {wt + band.column, 1, ld}, out, O, false);
    };
    forward_chunk_channels_last(product, bias, y, n0, B, g, bands);
  });
}

// The weight gradient is a sum over the batch. Two threads that split each chunk's product would
// each read all of the chunk's columns, half of them written by the other thread, and on this
// VM's slow phase that cost the weight gradient half of its second thread (docs/performance.md).
// So chunks go in groups instead: the chunks of a group add into the group's own copy of dWT, the
// groups run on the threads, and the copies are added in order at the end. Chunks and groups do
// not depend on the thread count, and neither does the result. Where copies of dWT would take
// more than 2M numbers (dcgan64's wider layers), one copy takes every chunk in turn, each product
// split over the threads.
//
// Calls body(colsT, n0, B, dwt, accumulate) for each chunk, dwt the copy its product goes to
// (accumulate false for the first chunk of a copy), and returns dWT (workspace slot 8).
template <class T, class Body>
T* for_each_weight_chunk(const T* x, index_t batch, const ConvGeometry& g, const RowBands& bands, index_t ld, const Body& body) {
  constexpr index_t max_groups = 8, copies_budget = index_t(1) << 21;
  const index_t L = g.out_area(), size = g.out_channels * ld;
  const index_t most = conv_chunk(batch, L * ld), chunks = (batch + most - 1) / most;
  const index_t groups = std::clamp<index_t>(std::min(chunks, max_groups), 1, std::max<index_t>(copies_budget / size, 1));
  T* copies = workspace<T>(8, static_cast<std::size_t>(groups * size));
  if (groups == 1) {
    for_each_channels_last_chunk(x, batch, g, bands, ld, [&](const T* colsT, index_t n0, index_t B) {
      body(colsT, n0, B, copies, n0 > 0);
    });
    return copies;
  }
  parallel_for(0, groups, 1, [&](index_t lo, index_t hi) {
    T* colsT = workspace<T>(0, static_cast<std::size_t>(most * L * ld));
    for (index_t group = lo; group < hi; ++group) {
      const index_t first = group * chunks / groups, last = (group + 1) * chunks / groups;
      for (index_t c = first; c < last; ++c) {
        const index_t n0 = c * batch / chunks, B = (c + 1) * batch / chunks - n0;
        im2col_channels_last(x, g, bands, n0, B, colsT, ld);
        body(static_cast<const T*>(colsT), n0, B, copies + group * size, c > first);
      }
    }
  });
  using Row = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  const index_t K = g.col_rows();
  parallel_for(0, g.out_channels, grain_for(groups * K), [&](index_t lo, index_t hi) {
    for (index_t o = lo; o < hi; ++o)
      for (index_t group = 1; group < groups; ++group) Row(copies + o * ld, K) += Row(copies + group * size + o * ld, K);
  });
  return copies;
}

template <class T>
void conv2d_weight_channels_last(const T* x, const T* gy, T* dw, index_t batch, const ConvGeometry& g) {
  const index_t ld = channels_last_stride<T>(g.col_rows());
  const RowBands bands(g);
  const T* dwt = for_each_weight_chunk(x, batch, g, bands, ld, [&](const T* colsT, index_t n0, index_t B, T* copy, bool add) {
    weight_chunk_channels_last(colsT, ld, gy, copy, add, n0, B, g, bands);
  });
  store_channels_last_weight_grad(dwt, batch, g, ld, dw);
}

template <class T>
void conv2d_forward_and_weight_channels_last(const T* x, const T* w, T* y, const T* gy, T* dw, index_t batch,
                                             const ConvGeometry& g) {
  const index_t ld = channels_last_stride<T>(g.col_rows());
  const RowBands bands(g);
  const T* wt = channels_last_weights(w, g, ld);
  const T* dwt = for_each_weight_chunk(x, batch, g, bands, ld, [&](const T* colsT, index_t n0, index_t B, T* copy, bool add) {
    // Both use slot 1 in turn: the forward's product is in y before g is gathered there.
    forward_chunk_channels_last<T>(product_from_columns(colsT, wt, ld, B, g), nullptr, y, n0, B, g, bands);
    weight_chunk_channels_last(colsT, ld, gy, copy, add, n0, B, g, bands);
  });
  store_channels_last_weight_grad(dwt, batch, g, ld, dw);
}

// colsT = gT WT band by band (gT gathered in slot 1 in colsT's row order), then col2im, each chunk
// on one thread.
template <class T>
void conv2d_transpose_channels_last(const T* gy, const T* w, T* x, index_t batch, const ConvGeometry& g) {
  const index_t K = g.col_rows(), L = g.out_area(), O = g.out_channels, ld = channels_last_stride<T>(K);
  const RowBands bands(g);
  const T* wt = channels_last_weights(w, g, ld);
  for_each_chunk_on_threads(batch, L * ld, [&](index_t n0, index_t B) {
    T* colsT = workspace<T>(0, static_cast<std::size_t>(B * L * ld));
    const T* G = gather_bands(gy, g, bands, n0, B, workspace<T>(1, static_cast<std::size_t>(O * B * L)));
    for (const RowBand& band : bands) {
      const index_t row = band.first_row(B);
      gemm_kernel<T>(B * band.count, band.columns, O, {G + row, 1, B * L}, {wt + band.column, ld, 1},
                     colsT + row * ld + band.column, ld, false);
    }
    col2im_channels_last(colsT, ld, g, bands, n0, B, x);
  });
}

}  // namespace duel::detail
