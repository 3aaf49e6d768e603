#include "duel/ops/transpose.hpp"

#include <doctest/doctest.h>

#include <utility>
#include <vector>

using duel::index_t;

TEST_CASE_TEMPLATE("transpose_matrix: full register blocks and every kind of edge", T, float, double) {
  for (const auto& size : {std::pair<index_t, index_t>{64, 196}, {19, 37}, {1, 5}, {33, 16}, {16, 33}}) {
    const index_t rows = size.first, cols = size.second;  // not a structured binding: CAPTURE is a lambda
    CAPTURE(rows);
    CAPTURE(cols);
    std::vector<T> src(static_cast<std::size_t>(rows * cols)), dst(src.size(), T(-1));
    for (std::size_t k = 0; k < src.size(); ++k) src[k] = static_cast<T>(k);
    duel::detail::transpose_matrix(src.data(), rows, cols, dst.data());
    bool same = true;
    for (index_t r = 0; r < rows; ++r)
      for (index_t c = 0; c < cols; ++c) same = same && dst[static_cast<std::size_t>(c * rows + r)] == src[static_cast<std::size_t>(r * cols + c)];
    CHECK(same);
  }
}

// Into a block of a wider matrix: the numbers between dst's rows stay as they were.
TEST_CASE("transpose_matrix writes rows ld_dst apart") {
  const index_t rows = 19, cols = 37, ld = 23;
  std::vector<float> src(static_cast<std::size_t>(rows * cols)), dst(static_cast<std::size_t>(cols * ld), -1.0f);
  for (std::size_t k = 0; k < src.size(); ++k) src[k] = static_cast<float>(k);
  duel::detail::transpose_matrix(src.data(), rows, cols, dst.data(), ld);
  bool same = true;
  for (index_t c = 0; c < cols; ++c) {
    for (index_t r = 0; r < ld; ++r) {
      const float expected = r < rows ? src[static_cast<std::size_t>(r * cols + c)] : -1.0f;
      same = same && dst[static_cast<std::size_t>(c * ld + r)] == expected;
    }
  }
  CHECK(same);
}
