#include "duel/ops/row_bands.hpp"

#include <doctest/doctest.h>

#include <array>
#include <vector>

#include "ops/conv_test_util.hpp"

using duel::index_t;
using duel::detail::ConvGeometry;
using duel::detail::RowBand;
using duel::detail::RowBands;
using duel::test::make_geometry;
using duel::test::pattern;

namespace {

std::vector<RowBand> bands_of(const ConvGeometry& g) {
  const RowBands bands(g);
  return {bands.begin(), bands.end()};
}

// Whether output row oh's window reads image row oh*sh - ph + i*dh inside the image.
bool inside(const ConvGeometry& g, index_t oh, index_t i) {
  const index_t y = oh * g.stride.h - g.padding.h + i * g.dilation.h;
  return y >= 0 && y < g.height;
}

}  // namespace

TEST_CASE("RowBands: the critic's 4 x 4, stride 2, padding 1 convolution of 14 x 14 images has three bands") {
  const index_t C = 64, row = 4 * C;  // one kernel row: 4 offsets of 64 channels
  const std::vector<RowBand> expected{{0, 7, row, 3 * row}, {7, 35, 0, 4 * row}, {42, 7, 0, 3 * row}};
  CHECK(bands_of(make_geometry(C, 14, 14, 128, 4, 4, 2, 1, 1)) == expected);
}

TEST_CASE("RowBands: one band reading every column when no window meets the padding") {
  const ConvGeometry g = make_geometry(16, 9, 7, 8, 3, 2, {2, 1}, {0, 1}, 1);  // padding only along the width
  const std::vector<RowBand> expected{{0, g.out_area(), 0, g.col_rows()}};
  CHECK(bands_of(g) == expected);
}

TEST_CASE("RowBands: rows whose windows lie wholly in the padding read no columns") {
  const index_t row = 2 * 16;
  const std::vector<RowBand> expected{{0, 18, 0, 0}, {18, 9, row, row}, {27, 27, 0, 2 * row}, {54, 9, 0, row}, {63, 18, 0, 0}};
  CHECK(bands_of(make_geometry(16, 4, 4, 32, 2, 2, 1, 3, 1)) == expected);
}

// Each of the 9 output rows of a 9 x 9 kernel with padding 4 reads other kernel rows: the last
// two share the last of RowBands' 8 bands, which reads the columns of both.
TEST_CASE("RowBands: past its capacity, the last band reads the union of its rows' columns") {
  const ConvGeometry g = make_geometry(16, 9, 9, 8, 9, 9, 1, 4, 1);
  const std::vector<RowBand> bands = bands_of(g);
  REQUIRE(bands.size() == RowBands::capacity);
  const index_t row = 9 * 16;
  CHECK(bands.back() == RowBand{63, 18, 0, 6 * row});  // rows 7 (kernel rows 0-5) and 8 (0-4)
}

// Any geometry: the bands cover the output pixels in order, whole rows each, and a band's columns
// hold exactly the kernel rows its windows read inside the image (all of them, at least, in a
// band past the capacity).
TEST_CASE("RowBands cover every output row with the kernel rows it reads") {
  const ConvGeometry geometries[] = {
      make_geometry(16, 14, 14, 32, 4, 4, 2, 1, 1), make_geometry(24, 9, 7, 36, 3, 2, {2, 1}, {1, 0}, {1, 2}),
      make_geometry(16, 6, 6, 4, 4, 4, 2, 1, 1, 1), make_geometry(20, 7, 6, 40, 5, 5, 1, 2, 1),
      make_geometry(16, 9, 9, 8, 9, 9, 1, 4, 1),    make_geometry(16, 11, 5, 8, 3, 3, {3, 1}, {4, 0}, {2, 1})};
  for (const ConvGeometry& g : geometries) {
    CAPTURE(g.height);
    CAPTURE(g.kernel_h);
    const RowBands bands(g);
    const index_t row_columns = g.kernel_w * g.channels;
    index_t next = 0;
    for (const RowBand& band : bands) {
      CHECK(band.first == next);
      CHECK(band.count % g.out_w == 0);
      next = band.first + band.count;
      const bool merged = &band == bands.end() - 1 && bands.size() == RowBands::capacity;
      for (index_t oh = band.first / g.out_w; oh < next / g.out_w; ++oh) {
        for (index_t i = 0; i < g.kernel_h; ++i) {
          const bool in_band = band.column <= i * row_columns && (i + 1) * row_columns <= band.column + band.columns;
          if (inside(g, oh, i)) CHECK(in_band);
          else if (!merged) CHECK_FALSE(in_band);
        }
      }
    }
    CHECK(next == g.out_area());
  }
}

TEST_CASE("RowBand::row and first_row: band by band, image by image within a band") {
  const RowBand band{14, 21, 0, 0};
  CHECK(band.row(5, 0, 14) == 70);  // 5 images of 14 pixels come before the band
  CHECK(band.first_row(5) == 70);
  CHECK(band.row(5, 2, 20) == 70 + 2 * 21 + 6);
}

TEST_CASE("RowBands::rows_reading: the chunk rows whose windows read a kernel row inside the image") {
  const index_t B = 3;
  const RowBands critic(make_geometry(64, 14, 14, 128, 4, 4, 2, 1, 1));  // bands of 7, 35 and 7 pixels
  CHECK(critic.rows_reading(0, B) == std::array<index_t, 2>{B * 7, B * 49});
  CHECK(critic.rows_reading(1, B) == std::array<index_t, 2>{0, B * 49});
  CHECK(critic.rows_reading(3, B) == std::array<index_t, 2>{0, B * 42});
  const RowBands far(make_geometry(16, 4, 4, 32, 2, 2, 1, 3, 1));  // rows 0-1 and 7-8 read nothing
  CHECK(far.rows_reading(0, B) == std::array<index_t, 2>{B * 27, B * 63});
  CHECK(far.rows_reading(1, B) == std::array<index_t, 2>{B * 18, B * 54});
  // Dilation 3 and padding 2 on 4 rows: kernel row 0 reads only padding above, row 2 only below.
  const RowBands sparse(make_geometry(16, 4, 4, 32, 3, 1, 1, {2, 0}, {3, 1}));
  CHECK(sparse.rows_reading(0, B)[0] == sparse.rows_reading(0, B)[1]);
  CHECK(sparse.rows_reading(1, B) == std::array<index_t, 2>{0, B * 8});
  CHECK(sparse.rows_reading(2, B)[0] == sparse.rows_reading(2, B)[1]);
}

TEST_CASE("gather_bands puts g's pixels in the order of the chunk's rows, band by band or image by image") {
  const ConvGeometry g = make_geometry(16, 14, 14, 5, 4, 4, 2, 1, 1);
  const RowBands bands(g);
  const index_t n0 = 2, B = 3, O = g.out_channels, L = g.out_area();
  const std::vector<float> gy = pattern<float>((n0 + B) * O * L, 1.0);
  std::vector<float> buffer(static_cast<std::size_t>(O * B * L), -1000.0f);
  const float* G = duel::detail::gather_bands(gy.data(), g, bands, n0, B, buffer.data());
  bool same = true;
  for (const RowBand& band : bands)
    for (index_t b = 0; b < B; ++b)
      for (index_t o = 0; o < O; ++o)
        for (index_t l = band.first; l < band.first + band.count; ++l)
          same = same && G[o * B * L + band.row(B, b, l)] == gy[static_cast<std::size_t>(((n0 + b) * O + o) * L + l)];
  CHECK(same);
  CHECK(duel::detail::gather_bands(gy.data(), g, bands, n0, 1, buffer.data()) == gy.data() + n0 * O * L);  // in place
  const float* side_by_side = duel::detail::gather_bands(gy.data(), g, RowBands::whole(g), n0, B, buffer.data());
  bool images = true;
  for (index_t b = 0; b < B; ++b)
    for (index_t o = 0; o < O; ++o)
      for (index_t l = 0; l < L; ++l)
        images = images && side_by_side[o * B * L + b * L + l] == gy[static_cast<std::size_t>(((n0 + b) * O + o) * L + l)];
  CHECK(images);
}

TEST_CASE("RowBands::whole: one band of every output pixel and every column") {
  const ConvGeometry g = make_geometry(16, 14, 14, 32, 4, 4, 2, 1, 1);
  const std::vector<RowBand> expected{{0, g.out_area(), 0, g.col_rows()}};
  const RowBands whole = RowBands::whole(g);
  CHECK(std::vector<RowBand>(whole.begin(), whole.end()) == expected);
  CHECK(whole.rows_reading(0, 3) == std::array<index_t, 2>{0, 3 * g.out_area()});
}
