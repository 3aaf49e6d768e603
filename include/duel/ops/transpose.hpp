// transpose_matrix: a row-major matrix transposed through blocks in SIMD registers, how the
// channels-last convolutions (conv_channels_last.hpp) turn images between NCHW and NHWC.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <type_traits>

#include "duel/ops/gemm_packing.hpp"

namespace duel::detail {

// dst [cols, rows] = src [rows, cols]^T, both row-major, dst's rows ld_dst apart: blocks
// transposed in registers (in a dcgan28 iteration 2.7 ms against 4.8 for Eigen's transpose).
// The blocks are MR x MR, half a packet of floats with AVX-512: 16 x 16 blocks took 0.086 ms for
// a batch of [64, 196] images and 0.38 ms to write [196, 64] ones into memory out of cache,
// 8 x 8 blocks 0.076 and 0.21 ms. The last rows, fewer than a block, still go through registers
// (the missing rows read as zeros, and only the real ones are stored): a band of 7 rows of a
// channels-last output is all edge. Only the last columns go one number at a time.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"  // packet types as template arguments, see gemm_packing.hpp
template <class T>
void transpose_matrix(const T* src, index_t rows, index_t cols, T* dst, index_t ld_dst) {
  using namespace Eigen::internal;
  using S = GemmBlocking<T>;
  using Packet = std::conditional_t<S::has_row_packet, typename S::RowPacket, typename S::Packet>;
  constexpr int P = unpacket_traits<Packet>::size;
  const index_t full_rows = rows - rows % P, full_cols = cols - cols % P;
  for (index_t r = 0; r < full_rows; r += P) {
    for (index_t c = 0; c < full_cols; c += P) {
      PacketBlock<Packet, P> block;
      for (int i = 0; i < P; ++i) block.packet[i] = ploadu<Packet>(src + (r + i) * cols + c);
      ptranspose(block);
      for (int i = 0; i < P; ++i) pstoreu(dst + (c + i) * ld_dst + r, block.packet[i]);
    }
  }
  if (const index_t height = rows - full_rows; height > 0) {
    for (index_t c = 0; c < full_cols; c += P) {
      PacketBlock<Packet, P> block;
      for (int i = 0; i < P; ++i) block.packet[i] = i < height ? ploadu<Packet>(src + (full_rows + i) * cols + c) : pset1<Packet>(T(0));
      ptranspose(block);
      for (int i = 0; i < P; ++i) {
        T column[P];
        pstoreu(column, block.packet[i]);
        std::copy(column, column + height, dst + (c + i) * ld_dst + full_rows);
      }
    }
  }
  for (index_t r = 0; r < rows; ++r) {
    for (index_t c = full_cols; c < cols; ++c) dst[c * ld_dst + r] = src[r * cols + c];
  }
}
#pragma GCC diagnostic pop

// dst [cols, rows] = src [rows, cols]^T, dst contiguous.
template <class T>
void transpose_matrix(const T* src, index_t rows, index_t cols, T* dst) {
  transpose_matrix(src, rows, cols, dst, rows);
}

}  // namespace duel::detail
