#include "duel/ops/gemm_kernel.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "test_util.hpp"

using duel::index_t;
using duel::detail::gemm_kernel;
using duel::detail::StridedMatrix;

namespace {

template <class T>
std::vector<T> numbered(index_t n, int seed) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<T>(static_cast<int>((k * 37 + static_cast<std::size_t>(seed) * 11) % 23) - 11) / 8;
  return v;
}

// A stored row-major as [rows, cols], or as its transpose [cols, rows] when transposed is set:
// either way the matrix read through it is [rows, cols].
template <class T>
struct Operand {
  std::vector<T> data;
  StridedMatrix<T> view;
};

template <class T>
Operand<T> operand(index_t rows, index_t cols, bool transposed, int seed) {
  Operand<T> o{numbered<T>(rows * cols, seed), {}};
  o.view = transposed ? StridedMatrix<T>{o.data.data(), 1, rows} : StridedMatrix<T>{o.data.data(), cols, 1};
  return o;
}

// C = C0 (when accumulating) + A B, one dot product at a time, in long double.
template <class T>
std::vector<T> naive(index_t M, index_t N, index_t K, StridedMatrix<T> A, StridedMatrix<T> B, const std::vector<T>& C0, index_t ldc, bool accumulate) {
  std::vector<T> C = C0;
  for (index_t i = 0; i < M; ++i) {
    for (index_t j = 0; j < N; ++j) {
      long double s = accumulate ? C0[static_cast<std::size_t>(i * ldc + j)] : 0;
      for (index_t k = 0; k < K; ++k) s += static_cast<long double>(A(i, k)) * B(k, j);
      C[static_cast<std::size_t>(i * ldc + j)] = static_cast<T>(s);
    }
  }
  return C;
}

template <class T>
void check(index_t M, index_t N, index_t K, bool ta, bool tb, bool accumulate, double tol) {
  CAPTURE(M);
  CAPTURE(N);
  CAPTURE(K);
  CAPTURE(ta);
  CAPTURE(tb);
  CAPTURE(accumulate);
  const Operand<T> A = operand<T>(M, K, ta, 1), B = operand<T>(K, N, tb, 2);
  const index_t ldc = N + 3;  // C is a block of a wider matrix: its padding must stay untouched
  std::vector<T> C = numbered<T>(M * ldc, 3);
  const std::vector<T> expected = naive(M, N, K, A.view, B.view, C, ldc, accumulate);
  gemm_kernel(M, N, K, A.view, B.view, C.data(), ldc, accumulate);
  double worst = 0;
  for (std::size_t k = 0; k < C.size(); ++k) worst = std::max(worst, std::abs(static_cast<double>(C[k] - expected[k])));
  CHECK(worst <= tol);
}

}  // namespace

TEST_CASE("gemm_kernel: every transpose, edge tiles, block boundaries and accumulation match the definition") {
  // Sizes straddle the micro-tile (8 x 2 packets), the K block (384), the row block (128) and the
  // column block (4096).
  // One thread, so that no split hides a boundary; {1, 37, 50} and {37, 1, 50} are matrix-vector
  // products, {20, 45, 1} an outer product.
  const index_t sizes[][3] = {{1, 1, 1},     {7, 5, 3},     {8, 32, 16},  {9, 33, 17},  {64, 100, 385}, {130, 70, 40},
                              {13, 3, 800},  {3, 200, 9},   {9, 4133, 20}, {1, 37, 50},  {37, 1, 50},   {20, 45, 1}};
  const duel::test::ThreadCountGuard restore_threads;
  duel::set_num_threads(1);
  for (const auto& s : sizes) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        for (bool acc : {false, true}) {
          check<double>(s[0], s[1], s[2], ta, tb, acc, 1e-12);
          check<float>(s[0], s[1], s[2], ta, tb, acc, 1e-3);
        }
      }
    }
  }
}

TEST_CASE("gemm_kernel: operands with no unit stride (every other element of a larger matrix)") {
  const index_t sizes[][3] = {{9, 33, 17}, {1, 20, 7}, {20, 1, 7}, {20, 7, 1}};
  for (const auto& s : sizes) {
    const index_t M = s[0], N = s[1], K = s[2];
    CAPTURE(M);
    CAPTURE(N);
    const std::vector<double> a = numbered<double>(4 * M * K, 1), b = numbered<double>(4 * K * N, 2);
    const StridedMatrix<double> A{a.data(), 4 * K, 2}, B{b.data(), 4 * N, 2};
    std::vector<double> C = numbered<double>(M * N, 3);
    const std::vector<double> expected = naive(M, N, K, A, B, C, N, true);
    gemm_kernel(M, N, K, A, B, C.data(), N, true);
    for (std::size_t k = 0; k < C.size(); ++k) CHECK(C[k] == doctest::Approx(expected[k]).epsilon(1e-12));
  }
}

TEST_CASE("gemm_kernel: an empty inner dimension gives zeros, or leaves C alone when accumulating") {
  std::vector<float> C(6, 5.0f);
  const std::vector<float> none;
  gemm_kernel<float>(2, 3, 0, {none.data(), 0, 1}, {none.data(), 3, 1}, C.data(), 3, true);
  CHECK(C == std::vector<float>(6, 5.0f));
  gemm_kernel<float>(2, 3, 0, {none.data(), 0, 1}, {none.data(), 3, 1}, C.data(), 3, false);
  CHECK(C == std::vector<float>(6, 0.0f));
}

// A wide C, which threads split by columns, and a tall one, which they split by rows.
TEST_CASE("gemm_kernel: the result does not depend on the thread count") {
  const index_t sizes[][3] = {{70, 300, 500}, {600, 40, 300}};
  const duel::test::ThreadCountGuard restore_threads;
  for (const auto& s : sizes) {
    const index_t M = s[0], N = s[1], K = s[2];
    CAPTURE(M);
    const Operand<float> A = operand<float>(M, K, false, 4), B = operand<float>(K, N, true, 5);
    std::vector<std::vector<float>> results;
    for (int threads : {1, 2, 3}) {
      duel::set_num_threads(threads);
      results.emplace_back(static_cast<std::size_t>(M * N));
      gemm_kernel(M, N, K, A.view, B.view, results.back().data(), N, false);
    }
    CHECK(results[0] == results[1]);
    CHECK(results[0] == results[2]);
  }
}

// gemm_blocks takes A as a packer; a row split hands each thread its first row. Here A(i, k) is
// written by the packer itself, so a thread given the wrong rows computes the wrong C.
TEST_CASE("gemm_blocks: A from a packer, split by rows across threads") {
  using duel::detail::GemmBlocking;
  constexpr index_t MR = GemmBlocking<double>::mr;
  const index_t M = 301, N = 40, K = 450;
  auto a = [](index_t i, index_t k) { return static_cast<double>((i * 7 + k * 3) % 19) - 9; };
  auto pack = [&](index_t i, index_t k, index_t m, index_t kc, double* Ap) {
    for (index_t p = 0; p < m; p += MR, Ap += MR * kc)
      for (index_t kk = 0; kk < kc; ++kk)
        for (index_t r = 0; r < MR; ++r) Ap[kk * MR + r] = p + r < m ? a(i + p + r, k + kk) : 0.0;
  };
  std::vector<double> A(static_cast<std::size_t>(M * K));
  for (index_t i = 0; i < M; ++i)
    for (index_t k = 0; k < K; ++k) A[static_cast<std::size_t>(i * K + k)] = a(i, k);
  const Operand<double> B = operand<double>(K, N, true, 6);
  const std::vector<double> expected = naive<double>(M, N, K, {A.data(), K, 1}, B.view, std::vector<double>(static_cast<std::size_t>(M * N)), N, false);
  const duel::test::ThreadCountGuard restore_threads;
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    duel::set_num_threads(threads);
    std::vector<double> C(static_cast<std::size_t>(M * N), -1.0);
    duel::detail::gemm_blocks<double>(M, N, K, pack, B.view, C.data(), N, false);
    CHECK(C == expected);
  }
}
