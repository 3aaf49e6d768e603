// The three convolution kernels, each one GEMM per chunk of images (see im2col.hpp), and the
// first and third fused for a transposed convolution's backward:
//
//   forward      y[n]  = W  cols(x[n]) + b          W [O, C*kh*kw]
//   transposed   x[n]  = col2im(W^T g[n])           the adjoint of forward (without bias)
//   weight       dW    = sum_n g[n] cols(x[n])^T    the gradient of forward with respect to W
//
// A chunk puts several images side by side in one columns matrix, so that each GEMM is wide
// enough to run near the kernel's peak (gemm_kernel.hpp); buffers come from the reusable workspace.
#pragma once

#include <algorithm>

#include "duel/ops/gemm_kernel.hpp"
#include "duel/ops/im2col.hpp"
#include "duel/ops/row_bands.hpp"
#include "duel/tensor/parallel.hpp"
#include "duel/tensor/tensor.hpp"
#include "duel/tensor/workspace.hpp"

namespace duel::detail {

// Images per GEMM: as many as fit a budget of 1M elements (4 MB of floats) for the columns
// matrix. Wide enough for the GEMM's panels, small enough that im2col writes into cache and the
// GEMM reads from it: for the critic's Conv2d(64, 128) at batch 64, 20 images per chunk took 6.6 ms
// forward on one thread where the whole batch at once (3.2M elements) took 7.9-9.0 ms (with
// Eigen's GEMM; budgets from 128K to 2M elements timed again with gemm_kernel: 1M still best).
inline index_t conv_chunk(index_t batch, index_t per_image) {
  constexpr index_t budget = index_t(1) << 20;
  return std::clamp<index_t>(budget / std::max<index_t>(per_image, 1), 1, std::max<index_t>(batch, 1));
}

// Runs im2col for images [n0, n0 + B) into one matrix of B * L columns, in parallel over (image, channel).
template <class T>
void im2col_chunk(const T* x, const ConvGeometry& g, index_t n0, index_t B, T* cols) {
  const index_t L = g.out_area();
  parallel_for(0, B * g.channels, 1, [&](index_t lo, index_t hi) {
    for (index_t t = lo; t < hi; ++t) {
      const index_t b = t / g.channels, c = t % g.channels;
      im2col(x + (n0 + b) * g.image_size(), g, c, c + 1, cols + b * L, B * L);
    }
  });
}

// One chunk of the forward: y[n0 .. n0+B) = W cols + bias, through prod [O, B*L] (workspace slot 1).
template <class T>
void forward_chunk(const T* cols, const T* w, const T* bias, T* y, index_t n0, index_t B, const ConvGeometry& g) {
  const index_t K = g.col_rows(), L = g.out_area(), O = g.out_channels;
  T* dst = B == 1 ? y + n0 * O * L : workspace<T>(1, static_cast<std::size_t>(O * B * L));  // one image: already [O, L]
  gemm_kernel<T>(O, B * L, K, {w, K, 1}, {cols, B * L, 1}, dst, B * L, false);
  parallel_for(0, B * O, grain_for(L), [&](index_t lo, index_t hi) {  // [O, B*L] -> y[n0+b] = [O, L], plus bias
    for (index_t t = lo; t < hi; ++t) {
      const index_t b = t / O, o = t % O;
      T* out = y + ((n0 + b) * O + o) * L;
      const T* src = dst + o * B * L + b * L;
      const T add = bias ? bias[o] : T(0);
      for (index_t l = 0; l < L; ++l) out[l] = src[l] + add;
    }
  });
}

// One chunk of the weight gradient: dW (row stride ldw) (=|+=) g[n0 .. n0+B) colsT, where colsT
// [B*L, K] views the chunk's columns transposed; g is gathered in workspace slot 1.
template <class T>
void weight_chunk(StridedMatrix<T> colsT, const T* gy, T* dw, index_t ldw, index_t n0, index_t B,
                  const ConvGeometry& g) {
  const index_t K = g.col_rows(), L = g.out_area(), O = g.out_channels;
  const T* G = gather_bands(gy, g, RowBands::whole(g), n0, B, workspace<T>(1, static_cast<std::size_t>(O * B * L)));
  gemm_kernel<T>(O, K, B * L, {G, B * L, 1}, colsT, dw, ldw, n0 > 0);  // summed over chunks
}

// Calls body(cols, n0, B) for each chunk of images [n0, n0 + B), cols holding their im2col.
template <class T, class Body>
void for_each_column_chunk(const T* x, index_t batch, const ConvGeometry& g, const Body& body) {
  const index_t chunk = conv_chunk(batch, g.col_rows() * g.out_area());
  T* cols = workspace<T>(0, static_cast<std::size_t>(g.col_rows() * chunk * g.out_area()));
  for (index_t n0 = 0; n0 < batch; n0 += chunk) {
    const index_t B = std::min(chunk, batch - n0);
    im2col_chunk(x, g, n0, B, cols);
    body(cols, n0, B);
  }
}

template <class T>
void conv2d_forward_kernel(const T* x, const T* w, const T* bias, T* y, index_t batch, const ConvGeometry& g) {
  for_each_column_chunk(x, batch, g, [&](const T* cols, index_t n0, index_t B) { forward_chunk(cols, w, bias, y, n0, B, g); });
}

// Calls body(G, n0, B) for each chunk of at most `chunk` images [n0, n0 + B), G holding
// g[n0 .. n0+B) gathered as [O, B*L] (workspace slot 1): the transposed kernels' loop.
template <class T, class Body>
void for_each_gradient_chunk(const T* gy, index_t batch, index_t chunk, const ConvGeometry& g, const Body& body) {
  T* gathered = workspace<T>(1, static_cast<std::size_t>(g.out_channels * chunk * g.out_area()));
  for (index_t n0 = 0; n0 < batch; n0 += chunk) {
    const index_t B = std::min(chunk, batch - n0);
    body(gather_bands(gy, g, RowBands::whole(g), n0, B, gathered), n0, B);
  }
}

template <class T>
void conv2d_transpose_kernel(const T* gy, const T* w, T* x, index_t batch, const ConvGeometry& g) {
  const index_t K = g.col_rows(), L = g.out_area(), O = g.out_channels;
  const index_t chunk = conv_chunk(batch, K * L);
  T* cols = workspace<T>(0, static_cast<std::size_t>(K * chunk * L));
  for_each_gradient_chunk(gy, batch, chunk, g, [&](const T* G, index_t n0, index_t B) {
    gemm_kernel<T>(K, B * L, O, {w, 1, K}, {G, B * L, 1}, cols, B * L, false);  // W^T G
    parallel_for(0, B * g.channels, 1, [&](index_t lo, index_t hi) {
      for (index_t t = lo; t < hi; ++t) {
        const index_t b = t / g.channels, c = t % g.channels;
        col2im(cols + b * L, B * L, g, c, c + 1, x + (n0 + b) * g.image_size());
      }
    });
  });
}

template <class T>
void conv2d_weight_kernel(const T* x, const T* gy, T* dw, index_t batch, const ConvGeometry& g) {
  if (batch == 0) std::fill(dw, dw + g.out_channels * g.col_rows(), T(0));  // no images: no chunk writes dW
  for_each_column_chunk(x, batch, g, [&](const T* cols, index_t n0, index_t B) {
    weight_chunk<T>({cols, 1, B * g.out_area()}, gy, dw, g.col_rows(), n0, B, g);
  });
}

// The forward and the weight gradient of the same x in one pass: y = conv2d(x, W) and
// dW = conv2d_weight(x, gy) both multiply cols(x), so each chunk's im2col serves both. This is the
// backward of a transposed convolution, whose two gradients are exactly these.
template <class T>
void conv2d_forward_and_weight_kernel(const T* x, const T* w, T* y, const T* gy, T* dw, index_t batch, const ConvGeometry& g) {
  if (batch == 0) std::fill(dw, dw + g.out_channels * g.col_rows(), T(0));
  for_each_column_chunk(x, batch, g, [&](const T* cols, index_t n0, index_t B) {
    forward_chunk<T>(cols, w, nullptr, y, n0, B, g);
    weight_chunk<T>({cols, 1, B * g.out_area()}, gy, dw, g.col_rows(), n0, B, g);
  });
}

}  // namespace duel::detail
