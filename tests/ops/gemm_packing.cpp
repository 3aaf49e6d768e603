#include "duel/ops/gemm_packing.hpp"

#include <doctest/doctest.h>

#include <vector>

using duel::index_t;
using duel::detail::GemmBlocking;
using duel::detail::StridedMatrix;

namespace {

template <class T>
std::vector<T> counting(index_t n) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<T>(k + 1);
  return v;
}

// Every layout pack_a and pack_b read: row-major, transposed and neither, with ragged last panels.
template <class T>
StridedMatrix<T> layouts(const std::vector<T>& data, index_t rows, index_t cols, int which) {
  if (which == 0) return {data.data(), cols, 1};
  if (which == 1) return {data.data(), 1, rows};
  return {data.data(), 2 * cols, 2};  // every other number of a wider matrix
}

}  // namespace

TEST_CASE_TEMPLATE("pack_a and pack_b write panels by their definition, zeros past the matrix", T, float, double) {
  constexpr index_t MR = GemmBlocking<T>::mr, NR = GemmBlocking<T>::nr;
  for (const index_t rows : {index_t(1), MR, 2 * MR + 3}) {
    for (const index_t cols : {index_t(1), NR - 1, 2 * NR + 5}) {
      for (int which = 0; which < 3; ++which) {
        CAPTURE(rows);
        CAPTURE(cols);
        CAPTURE(which);
        const std::vector<T> data = counting<T>(4 * rows * cols);
        const StridedMatrix<T> M = layouts(data, rows, cols, which);
        const index_t row_panels = (rows + MR - 1) / MR, col_panels = (cols + NR - 1) / NR;
        std::vector<T> Ap(static_cast<std::size_t>(row_panels * MR * cols), T(-1)), Bp(static_cast<std::size_t>(col_panels * NR * rows), T(-1));
        duel::detail::pack_a(M, rows, cols, Ap.data());  // M as A [rows, cols]
        duel::detail::pack_b(M, rows, cols, Bp.data());  // M as B [rows, cols]
        bool a_ok = true, b_ok = true;
        for (index_t p = 0; p < row_panels; ++p)
          for (index_t k = 0; k < cols; ++k)
            for (index_t r = 0; r < MR; ++r) {
              const index_t i = p * MR + r;
              a_ok = a_ok && Ap[static_cast<std::size_t>((p * cols + k) * MR + r)] == (i < rows ? M(i, k) : T(0));
            }
        for (index_t p = 0; p < col_panels; ++p)
          for (index_t k = 0; k < rows; ++k)
            for (index_t c = 0; c < NR; ++c) {
              const index_t j = p * NR + c;
              b_ok = b_ok && Bp[static_cast<std::size_t>((p * rows + k) * NR + c)] == (j < cols ? M(k, j) : T(0));
            }
        CHECK(a_ok);
        CHECK(b_ok);
      }
    }
  }
}

TEST_CASE_TEMPLATE("pack_rows reads null rows as zeros, past whole blocks too", T, float, double) {
  constexpr index_t MR = GemmBlocking<T>::mr;
  const index_t count = 2 * MR + 3;
  const std::vector<T> data = counting<T>(MR * count);
  const T* rows[MR];
  for (index_t r = 0; r < MR; ++r) rows[r] = r % 3 == 1 ? nullptr : data.data() + r * count;
  std::vector<T> Ap(static_cast<std::size_t>(MR * count), T(-1));
  duel::detail::pack_rows(rows, count, Ap.data());
  bool ok = true;
  for (index_t k = 0; k < count; ++k)
    for (index_t r = 0; r < MR; ++r) ok = ok && Ap[static_cast<std::size_t>(k * MR + r)] == (rows[r] ? rows[r][k] : T(0));
  CHECK(ok);
}
