#include "duel/ops/channels_last_columns.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "ops/conv_test_util.hpp"

using duel::index_t;
using duel::detail::ConvGeometry;
using duel::detail::RowBand;
using duel::detail::RowBands;
using duel::test::make_geometry;
using duel::test::pattern;

namespace {

// Bands that skip a kernel row, bands past RowBands' capacity, windows wholly in the padding,
// and 20 channels, so that a GEMM block can start inside a window.
const ConvGeometry column_geometries[] = {
    make_geometry(16, 14, 14, 32, 4, 4, 2, 1, 1), make_geometry(24, 9, 7, 36, 3, 2, {2, 1}, {1, 0}, {1, 2}),
    make_geometry(16, 9, 9, 8, 9, 9, 1, 4, 1), make_geometry(16, 4, 4, 32, 2, 2, 1, 3, 1),
    make_geometry(20, 7, 6, 40, 5, 5, 1, 2, 1)};

// x[b, c, y, x] read at window offset (i, j) of output pixel l, 0 in the padding.
template <class T>
T window_value(const std::vector<T>& x, const ConvGeometry& g, index_t b, index_t l, index_t column) {
  const index_t window = column / g.channels, c = column % g.channels, i = window / g.kernel_w, j = window % g.kernel_w;
  const index_t pixel = duel::detail::window_pixel(g, l / g.out_w, l % g.out_w, i, j);
  return pixel < 0 ? T(0) : x[static_cast<std::size_t>((b * g.channels + c) * g.height * g.width + pixel)];
}

}  // namespace

TEST_CASE("im2col_channels_last writes each band's rows and columns as the definition says") {
  for (const ConvGeometry& g : column_geometries) {
    CAPTURE(g.channels);
    CAPTURE(g.height);
    const index_t n0 = 1, B = 3, K = g.col_rows(), ld = K + 3;
    const RowBands bands(g);
    const std::vector<double> x = pattern<double>((n0 + B) * g.image_size(), 0.01);
    std::vector<double> colsT(static_cast<std::size_t>(B * g.out_area() * ld), -1000.0);
    duel::detail::im2col_channels_last(x.data(), g, bands, n0, B, colsT.data(), ld);
    bool same = true;
    for (const RowBand& band : bands)
      for (index_t b = 0; b < B; ++b)
        for (index_t l = band.first; l < band.first + band.count; ++l)
          for (index_t k = band.column; k < band.column + band.columns; ++k)
            same = same && colsT[static_cast<std::size_t>(band.row(B, b, l) * ld + k)] == window_value(x, g, n0 + b, l, k);
    CHECK(same);
  }
}

// <im2col(x), c> = <x, col2im(c)> over the columns the bands read, the adjoint's definition.
TEST_CASE("col2im_channels_last is the adjoint of im2col_channels_last") {
  for (const ConvGeometry& g : column_geometries) {
    CAPTURE(g.channels);
    CAPTURE(g.height);
    const index_t B = 2, ld = g.col_rows();
    const RowBands bands(g);
    const std::vector<double> x = pattern<double>(B * g.image_size(), 0.01), c = pattern<double>(B * g.out_area() * ld, 0.03);
    std::vector<double> colsT(c.size()), folded(x.size(), -1000.0);
    duel::detail::im2col_channels_last(x.data(), g, bands, 0, B, colsT.data(), ld);
    duel::detail::col2im_channels_last(c.data(), ld, g, bands, 0, B, folded.data());
    double forward = 0, adjoint = 0;
    for (const RowBand& band : bands)
      for (index_t r = band.first_row(B); r < band.first_row(B) + B * band.count; ++r)
        for (index_t k = band.column; k < band.column + band.columns; ++k)
          forward += colsT[static_cast<std::size_t>(r * ld + k)] * c[static_cast<std::size_t>(r * ld + k)];
    for (std::size_t k = 0; k < x.size(); ++k) adjoint += x[k] * folded[k];
    CHECK(forward == doctest::Approx(adjoint).epsilon(1e-12));
  }
}

// The implicit GEMM's packer against pack_a reading the colsT that im2col_channels_last builds:
// the same numbers, for blocks of each band that start inside a window and run past its last row.
TEST_CASE_TEMPLATE("WindowPanels packs the panels pack_a packs from colsT", T, float, double) {
  using duel::detail::GemmBlocking;
  constexpr index_t MR = GemmBlocking<T>::mr;
  for (const ConvGeometry& g : column_geometries) {
    CAPTURE(g.channels);
    CAPTURE(g.height);
    const index_t batch = 3, K = g.col_rows(), M = batch * g.out_area();
    const RowBands bands(g);
    const std::vector<T> x = pattern<T>(batch * g.image_size(), 0.01);
    std::vector<T> colsT(static_cast<std::size_t>(M * K)), images(x.size());
    duel::detail::im2col_channels_last(x.data(), g, bands, 0, batch, colsT.data(), K);
    for (index_t b = 0; b < batch; ++b) {
      duel::detail::transpose_matrix(x.data() + b * g.image_size(), g.channels, g.height * g.width, images.data() + b * g.image_size());
    }
    for (const RowBand& band : bands) {
      if (band.columns == 0) continue;
      const duel::detail::WindowPanels<T> panels{images.data(), g, band};
      const index_t rows = batch * band.count;
      for (const index_t i : {index_t(0), std::min(MR, rows - 1), std::max<index_t>(rows - 13, 0)}) {
        for (const index_t k : {index_t(0), g.channels / 2 + 1, band.columns - 7}) {
          const index_t m = std::min<index_t>(rows - i, 29), kc = std::min<index_t>(band.columns - k, 45);
          CAPTURE(band.first);
          CAPTURE(i);
          CAPTURE(k);
          std::vector<T> expected(static_cast<std::size_t>((m + MR - 1) / MR * MR * kc)), packed(expected.size(), T(-7));
          duel::detail::pack_a<T>({colsT.data() + (band.first_row(batch) + i) * K + band.column + k, K, 1}, m, kc,
                                  expected.data());
          panels(i, k, m, kc, packed.data());
          CHECK(packed == expected);
        }
      }
    }
  }
}
