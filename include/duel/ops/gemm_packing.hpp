// Packing for gemm_kernel.hpp: the operands copied into the panels its micro-kernel reads.
//
//   Ap[k*MR + r] = A(i + r, k)    panels of MR rows of A, each k the MR numbers one FMA step broadcasts
//   Bp[k*NR + c] = B(k, j + c)    panels of NR columns of B, each k one row of NR numbers
//
// One panel after another; rows or columns past the matrix are zeros, so that edge tiles run the
// same kernel. Transposed operands are packed through SIMD transposes in registers.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <type_traits>

#include "duel/tensor/shape.hpp"

namespace duel::detail {

// A read-only matrix with arbitrary strides: element (i, j) is data[i * row_stride + j * col_stride].
// A row-major [rows, cols] matrix has strides (cols, 1); its transpose has strides (1, cols).
template <class T>
struct StridedMatrix {
  const T* data;
  index_t row_stride, col_stride;

  T operator()(index_t i, index_t j) const { return data[i * row_stride + j * col_stride]; }
  StridedMatrix transposed() const { return {data, col_stride, row_stride}; }
  StridedMatrix offset(index_t i, index_t j) const { return {data + i * row_stride + j * col_stride, row_stride, col_stride}; }
};

// Eigen's packet types carry a may_alias attribute that g++ reports as dropped (harmlessly) when
// they become a template argument, as in PacketBlock and unpacket_traits below; Eigen's own headers do the same,
// silenced there as system headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
template <class T>
struct GemmBlocking {
  using Packet = typename Eigen::internal::packet_traits<T>::type;
  static constexpr int packet = Eigen::internal::packet_traits<T>::size;
  // An 8 x (2 packets) tile: 16 accumulators, enough independent FMAs to hide their latency,
  // and 8 divides the channel counts layers have (64, 128), so few rows are wasted.
  static constexpr int mr = 8, nr = 2 * packet;
  // A packet of exactly MR numbers, when the SIMD width has one (AVX and AVX-512 for float,
  // AVX-512 for double): pack_a then transposes MR x MR blocks of a row-major A in registers.
  using HalfPacket = typename Eigen::internal::packet_traits<T>::half;
  using RowPacket = std::conditional_t<packet == mr, Packet, HalfPacket>;
  static constexpr bool has_row_packet = Eigen::internal::unpacket_traits<RowPacket>::size == mr;
  // A block of A (mc x kc: 192 KB of floats) stays in L2 while panels of B stream through L1.
  // kc from 256 to 512 and mc of 128 or 256 measured the same at the layers' shapes.
  static constexpr index_t kc = 384, mc = 128, nc = 4096;
};

// Ap[k*MR + r] = rows[r][k] for r < MR, k < count: one panel from MR row pointers, a null row
// reading as zeros. MR x MR blocks are transposed in registers when the SIMD width allows it.
template <class T>
void pack_rows(const T* const (&rows)[GemmBlocking<T>::mr], index_t count, T* Ap) {
  constexpr int MR = GemmBlocking<T>::mr;
  index_t k0 = 0;
  if constexpr (GemmBlocking<T>::has_row_packet) {
    using RowPacket = typename GemmBlocking<T>::RowPacket;
    for (; k0 + MR <= count; k0 += MR) {
      Eigen::internal::PacketBlock<RowPacket, MR> block;
      for (int r = 0; r < MR; ++r) {
        block.packet[r] = rows[r] ? Eigen::internal::ploadu<RowPacket>(rows[r] + k0) : Eigen::internal::pset1<RowPacket>(T(0));
      }
      Eigen::internal::ptranspose(block);
      for (int r = 0; r < MR; ++r) Eigen::internal::pstoreu(Ap + (k0 + r) * MR, block.packet[r]);
    }
  }
  for (int r = 0; r < MR; ++r)  // the columns a block did not cover
    for (index_t k = k0; k < count; ++k) Ap[k * MR + r] = rows[r] ? rows[r][k] : T(0);
}

// Ap[k*MR + r] = A(r, k) for r < MR, k < kc, one MR panel after another; rows past m are zero.
template <class T>
void pack_a(StridedMatrix<T> A, index_t m, index_t kc, T* Ap) {
  constexpr int MR = GemmBlocking<T>::mr;
  for (index_t i = 0; i < m; i += MR, Ap += MR * kc) {
    const index_t rows = std::min<index_t>(MR, m - i);
    if (rows == MR && A.row_stride == 1) {  // transposed A: each k is MR contiguous numbers
      for (index_t k = 0; k < kc; ++k) std::memcpy(Ap + k * MR, A.data + i + k * A.col_stride, MR * sizeof(T));
    } else if (A.col_stride == 1) {  // row-major A
      const T* row[MR];
      for (index_t r = 0; r < MR; ++r) row[r] = r < rows ? A.data + (i + r) * A.row_stride : nullptr;
      pack_rows(row, kc, Ap);
    } else {
      for (index_t r = 0; r < MR; ++r)
        for (index_t k = 0; k < kc; ++k) Ap[k * MR + r] = r < rows ? A(i + r, k) : T(0);
    }
  }
}

// Bp[k*NR + c] = B(k, c) for k < kc, c < NR, one NR panel after another; columns past n are zero.
// Row-major B is copied row by row; transposed B (col_stride != 1, row_stride == 1) is read as
// packet x packet blocks and transposed in registers.
template <class T>
void pack_b(StridedMatrix<T> B, index_t kc, index_t n, T* Bp) {
  using namespace Eigen::internal;
  using Packet = typename GemmBlocking<T>::Packet;
  constexpr int P = GemmBlocking<T>::packet, NR = GemmBlocking<T>::nr;
  for (index_t j = 0; j < n; j += NR, Bp += NR * kc) {
    const index_t cols = std::min<index_t>(NR, n - j);
    index_t k0 = 0;
    if (B.col_stride == 1) {
      for (; k0 < kc; ++k0) {
        std::memcpy(Bp + k0 * NR, B.data + k0 * B.row_stride + j, static_cast<std::size_t>(cols) * sizeof(T));
        std::fill(Bp + k0 * NR + cols, Bp + (k0 + 1) * NR, T(0));
      }
    } else if (B.row_stride == 1) {
      for (; k0 + P <= kc; k0 += P) {
        for (int h = 0; h < NR; h += P) {
          PacketBlock<Packet, P> block;
          for (int i = 0; i < P; ++i) {
            block.packet[i] = h + i < cols ? ploadu<Packet>(B.data + k0 + (j + h + i) * B.col_stride) : pset1<Packet>(T(0));
          }
          ptranspose(block);
          for (int i = 0; i < P; ++i) pstoreu(Bp + (k0 + i) * NR + h, block.packet[i]);
        }
      }
    }
    for (; k0 < kc; ++k0) {  // any other strides, and the rows a packet block did not cover
      for (index_t c = 0; c < NR; ++c) Bp[k0 * NR + c] = c < cols ? B(k0, j + c) : T(0);
    }
  }
}

#pragma GCC diagnostic pop

}  // namespace duel::detail
