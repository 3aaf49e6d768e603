// gemm_kernel: C = op(A) op(B) (or C += ...), the matrix product every layer ends up in.
//
// The classic blocked design of GotoBLAS/BLIS, written with Eigen's SIMD packets:
//
//   for each block of kc rows of op(B)               (kc x N, streamed from L3)
//     pack it into panels of NR columns              Bp[k*NR + c] = op(B)(k, j+c)
//       (unless B is row-major: each panel row is then already NR contiguous numbers, read in place)
//     for each block of mc rows of op(A)             (mc x kc, stays in L2)
//       pack it into panels of MR rows               Ap[k*MR + r] = op(A)(i+r, k)
//         (unless A is row-major: the micro-kernel then broadcasts from its MR rows in place)
//       for each NR panel, for each MR panel:        (the NR panel stays in L1)
//         micro-kernel: an MR x NR tile of C in registers, += over k of
//                       broadcast(Ap[k*MR + r]) * Bp[k*NR .. k*NR + NR)
//
// Packing (gemm_packing.hpp) makes both operands contiguous in the order the micro-kernel reads
// them, whatever their strides, so transposes cost nothing extra. A row-major A needs no packing
// (a broadcast reads one number wherever it lies): the dcgan28 iteration 46.3 -> 45.8 ms. A can
// also come as a packer that builds its panels itself (gemm_blocks): a convolution packs its
// column matrix straight from the images, so that the matrix never exists.
// Each element of C is summed by one thread in a fixed order of k, so results do not depend on
// the thread count. Measured against Eigen's own product at the shapes of Duel's layers in
// benchmarks/bench_layers.cpp; docs/performance.md has the figures.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <type_traits>

#include "duel/ops/gemm_packing.hpp"
#include "duel/ops/transpose.hpp"
#include "duel/tensor/parallel.hpp"
#include "duel/tensor/workspace.hpp"

namespace duel::detail {

// A panel of MR rows of A as the micro-kernel reads it: packed (Ap[k*MR + r]) ...
template <class T>
struct PackedPanel {
  const T* Ap;
  T operator()(int r, index_t k) const { return Ap[k * GemmBlocking<T>::mr + r]; }
};

// ... or straight from the rows of a row-major A. On A's last panel, rows past the matrix repeat
// its last row: the micro-kernel computes them, but stores only the rows that exist.
template <class T>
struct RowPanel {
  const T* rows[GemmBlocking<T>::mr];
  T operator()(int r, index_t k) const { return rows[r][k]; }
};

// A row-major A [M, K] (row stride ld) that gemm_serial reads where it lies instead of packing.
template <class T>
struct RowsInPlace {
  const T* data;
  index_t ld;
};

// The MR x NR tile of C at c (row stride ldc; only its first m rows and n columns exist):
// c (=|+=) sum over k < kc of a(r, k) * Bp[k*ldb + col], where ldb is NR for a packed panel.
template <class T, class Panel>
void micro_kernel(index_t kc, const Panel& a, const T* Bp, index_t ldb, T* c, index_t ldc, bool accumulate, index_t m, index_t n) {
  using namespace Eigen::internal;
  using Packet = typename GemmBlocking<T>::Packet;
  constexpr int P = GemmBlocking<T>::packet, MR = GemmBlocking<T>::mr, NR = GemmBlocking<T>::nr, NP = NR / P;
  Packet acc[MR][NP];
  for (auto& row : acc)
    for (Packet& sum : row) sum = pset1<Packet>(T(0));
  for (index_t k = 0; k < kc; ++k) {
    Packet b[NP];
    for (int p = 0; p < NP; ++p) b[p] = ploadu<Packet>(Bp + k * ldb + p * P);
    for (int r = 0; r < MR; ++r) {
      const Packet ar = pset1<Packet>(a(r, k));
      for (int p = 0; p < NP; ++p) acc[r][p] = pmadd(ar, b[p], acc[r][p]);
    }
  }
  if (m == MR && n == NR) {
    for (int r = 0; r < MR; ++r) {
      for (int p = 0; p < NP; ++p) {
        T* dst = c + r * ldc + p * P;
        pstoreu(dst, accumulate ? padd(ploadu<Packet>(dst), acc[r][p]) : acc[r][p]);
      }
    }
    return;
  }
  alignas(64) T tile[MR * NR];  // a tile on the edge of C: spill, then write the part that exists
  for (int r = 0; r < MR; ++r)
    for (int p = 0; p < NP; ++p) pstoreu(tile + r * NR + p * P, acc[r][p]);
  for (index_t r = 0; r < m; ++r) {
    for (index_t j = 0; j < n; ++j) c[r * ldc + j] = (accumulate ? c[r * ldc + j] : T(0)) + tile[r * NR + j];
  }
}

// y (=|+=) A x for A [M, K], x [K] (stride incx), y [M] (stride incy). A matrix-vector product
// reads each element of A once, so memory decides its speed, not FMAs: packing would only add
// traffic. Eigen's GEMV does it when A has a contiguous row or column, plain loops otherwise.
template <class T>
void gemv_kernel(index_t M, index_t K, StridedMatrix<T> A, const T* x, index_t incx, T* y, index_t incy, bool accumulate) {
  using Vector = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using RowMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using ColMajor = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>;
  const Eigen::Map<const Vector, 0, Eigen::InnerStride<>> xv(x, K, Eigen::InnerStride<>(incx));
  Eigen::Map<Vector, 0, Eigen::InnerStride<>> yv(y, M, Eigen::InnerStride<>(incy));
  if (!accumulate) yv.setZero();
  if (A.col_stride == 1) {
    yv.noalias() += Eigen::Map<const RowMajor, 0, Eigen::OuterStride<>>(A.data, M, K, Eigen::OuterStride<>(A.row_stride)) * xv;
  } else if (A.row_stride == 1) {
    yv.noalias() += Eigen::Map<const ColMajor, 0, Eigen::OuterStride<>>(A.data, M, K, Eigen::OuterStride<>(A.col_stride)) * xv;
  } else {
    for (index_t i = 0; i < M; ++i)
      for (index_t k = 0; k < K; ++k) yv[i] += A(i, k) * xv[k];
  }
}

// C [M, N] (=|+=) A [M, 1] B [1, N]: each row of C is a multiple of B's one row, written at the
// speed of memory (through the micro-kernel, with k = 1, a tenth of that).
template <class T>
void outer_product(index_t M, index_t N, StridedMatrix<T> A, StridedMatrix<T> B, T* C, index_t ldc, bool accumulate) {
  using Row = Eigen::Map<Eigen::Array<T, 1, Eigen::Dynamic>>;
  const T* b = B.data;
  if (B.col_stride != 1) {  // a strided row of B, copied once
    T* row = workspace<T>(5, static_cast<std::size_t>(N));
    for (index_t j = 0; j < N; ++j) row[j] = B(0, j);
    b = row;
  }
  const Eigen::Map<const Eigen::Array<T, 1, Eigen::Dynamic>> brow(b, N);
  parallel_for(0, M, grain_for(N), [&](index_t lo, index_t hi) {
    for (index_t i = lo; i < hi; ++i) {
      if (accumulate) Row(C + i * ldc, N) += A(i, 0) * brow;
      else Row(C + i * ldc, N) = A(i, 0) * brow;
    }
  });
}

// One thread's product: C [M, N] (row stride ldc) (=|+=) A [M, K] B [K, N], for rows
// [row0, row0 + M) of A. A comes as its packer: pack(i, k, m, kc, Ap) writes rows [i, i + m) and
// columns [k, k + kc) of A into Ap in pack_a's layout, so that A need not exist as a matrix (the
// convolutions pack their column matrix straight from the images).
template <class T, class PackA>
void gemm_serial(index_t M, index_t N, index_t K, const PackA& pack, index_t row0, StridedMatrix<T> B, T* C, index_t ldc,
                 bool accumulate) {
  using S = GemmBlocking<T>;
  auto round_up = [](index_t x, index_t to) { return (x + to - 1) / to * to; };
  constexpr bool a_in_place = std::is_same_v<PackA, RowsInPlace<T>>;
  const index_t depth = std::min(S::kc, K);
  T* Ap = a_in_place ? nullptr : workspace<T>(3, static_cast<std::size_t>(round_up(std::min(S::mc, M), S::mr) * depth));
  const index_t packed_cols = B.col_stride == 1 ? S::nr : round_up(std::min(S::nc, N), S::nr);  // see packed_from
  T* Bp = workspace<T>(4, static_cast<std::size_t>(packed_cols * depth));
  for (index_t jc = 0; jc < N; jc += S::nc) {
    const index_t nc = std::min(S::nc, N - jc);
    for (index_t pc = 0; pc < K; pc += S::kc) {
      const index_t kc = std::min(S::kc, K - pc);
      const bool add = accumulate || pc > 0;
      // A row-major B already has each panel row contiguous: its full panels are read in place
      // (measured no slower even for 128 panels of A), only a ragged last panel is packed.
      const index_t packed_from = B.col_stride == 1 ? nc / S::nr * S::nr : 0;
      if (packed_from < nc) pack_b(B.offset(pc, jc + packed_from), kc, nc - packed_from, Bp);
      for (index_t ic = 0; ic < M; ic += S::mc) {
        const index_t mc = std::min(S::mc, M - ic);
        if constexpr (!a_in_place) pack(row0 + ic, pc, mc, kc, Ap);
        for (index_t jr = 0; jr < nc; jr += S::nr) {
          for (index_t ir = 0; ir < mc; ir += S::mr) {
            const bool in_place = jr < packed_from;
            const T* panel = in_place ? B.data + pc * B.row_stride + jc + jr : Bp + (jr - packed_from) * kc;
            const index_t m = std::min<index_t>(S::mr, mc - ir), n = std::min<index_t>(S::nr, nc - jr);
            T* tile = C + (ic + ir) * ldc + jc + jr;
            if constexpr (a_in_place) {
              RowPanel<T> rows;
              for (index_t r = 0; r < S::mr; ++r) rows.rows[r] = pack.data + (row0 + ic + ir + std::min(r, m - 1)) * pack.ld + pc;
              micro_kernel(kc, rows, panel, in_place ? B.row_stride : S::nr, tile, ldc, add, m, n);
            } else {
              micro_kernel(kc, PackedPanel<T>{Ap + ir * kc}, panel, in_place ? B.row_stride : S::nr, tile, ldc, add, m, n);
            }
          }
        }
      }
    }
  }
}

// C [M, N] (row stride ldc) (=|+=) A [M, K] B [K, N], A given by its packer (see gemm_serial).
// Threads split C into column blocks or row blocks, whichever balances better once the packing
// each thread repeats is counted.
template <class T, class PackA>
void gemm_blocks(index_t M, index_t N, index_t K, const PackA& pack, StridedMatrix<T> B, T* C, index_t ldc, bool accumulate) {
  using S = GemmBlocking<T>;
  const index_t threads = M * N * K >= (index_t(1) << 18) ? get_num_threads() : 1;
  if (threads == 1) return gemm_serial(M, N, K, pack, 0, B, C, ldc, accumulate);
  const index_t row_blocks = (M + S::mr - 1) / S::mr, col_blocks = (N + S::nr - 1) / S::nr;
  // The largest share any thread gets, in elements of C (each K multiply-adds), plus the packing
  // every thread then repeats: all of A when threads split the columns, all of B when they split
  // the rows (none when either is read in place). Packing an element takes about as long as `packet`
  // elements of C take per step of k (2 FMA of one packet per cycle against half a cycle per move).
  auto share = [&](index_t blocks, index_t block, index_t other) { return (blocks + threads - 1) / threads * block * other; };
  const index_t split_columns = share(col_blocks, S::nr, M) + (std::is_same_v<PackA, RowsInPlace<T>> ? 0 : S::packet * M);
  const index_t split_rows = share(row_blocks, S::mr, N) + (B.col_stride == 1 ? 0 : S::packet * N);
  if (split_columns <= split_rows) {
    parallel_for(0, col_blocks, 1, [&](index_t lo, index_t hi) {
      const index_t j0 = lo * S::nr, j1 = std::min(N, hi * S::nr);
      gemm_serial(M, j1 - j0, K, pack, 0, B.offset(0, j0), C + j0, ldc, accumulate);
    });
  } else {
    parallel_for(0, row_blocks, 1, [&](index_t lo, index_t hi) {
      const index_t i0 = lo * S::mr, i1 = std::min(M, hi * S::mr);
      gemm_serial(i1 - i0, N, K, pack, i0, B, C + i0 * ldc, ldc, accumulate);
    });
  }
}

// C [M, N] (row stride ldc) = A [M, K] B [K, N], or C += A B when accumulate is set.
template <class T>
void gemm_kernel(index_t M, index_t N, index_t K, StridedMatrix<T> A, StridedMatrix<T> B, T* C, index_t ldc, bool accumulate) {
  using S = GemmBlocking<T>;
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (!accumulate)
      for (index_t i = 0; i < M; ++i) std::fill(C + i * ldc, C + i * ldc + N, T(0));
    return;
  }
  if (K == 1) return outer_product(M, N, A, B, C, ldc, accumulate);
  if (N == 1) return gemv_kernel(M, K, A, B.data, B.row_stride, C, ldc, accumulate);
  if (M == 1) return gemv_kernel(N, K, B.transposed(), A.data, A.col_stride, C, 1, accumulate);  // C^T = B^T A^T
  // C^T = B^T A^T instead, transposed into C, when that is cheaper: for a thin C, which would
  // waste most of each NR panel, and for a transposed B that would cost more to pack (K x N) than
  // packing A^T and transposing C^T (M x (K + N)), as a batch of 64 through a Linear's weights
  // does: B^T, the weights, is then read in place.
  // A product turned over is not turned over again: it is not thin (its N is the larger side),
  // and its B is not costly (after a thin C its M is under a panel; after a costly B the
  // inequality goes the other way).
  const bool thin = N < S::nr && M > N;
  const bool costly_b = !thin && M >= S::nr && B.col_stride != 1 && A.col_stride == 1 && M * (K + N) < K * N;
  if (thin || costly_b) {
    T* Ct = workspace<T>(5, static_cast<std::size_t>(N * M));
    gemm_kernel(N, M, K, B.transposed(), A.transposed(), Ct, M, false);
    if (!accumulate) return transpose_matrix(Ct, N, M, C, ldc);
    for (index_t i = 0; i < M; ++i) {
      for (index_t j = 0; j < N; ++j) C[i * ldc + j] += Ct[j * M + i];
    }
    return;
  }
  if (A.col_stride == 1) return gemm_blocks(M, N, K, RowsInPlace<T>{A.data, A.row_stride}, B, C, ldc, accumulate);
  auto pack = [A](index_t i, index_t k, index_t m, index_t kc, T* Ap) { pack_a(A.offset(i, k), m, kc, Ap); };
  gemm_blocks(M, N, K, pack, B, C, ldc, accumulate);
}

}  // namespace duel::detail
