#include "duel/ops/im2col.hpp"

#include <doctest/doctest.h>

#include <vector>

using duel::index_t;
using duel::Size2;
using duel::detail::ConvGeometry;

namespace {

// Every window of the definition, one number at a time: row (c, i, j), column oh * OW + ow holds
// x[c, oh*sh - ph + i*dh, ow*sw - pw + j*dw], or 0 outside the image.
std::vector<double> naive_im2col(const std::vector<double>& x, const ConvGeometry& g) {
  std::vector<double> cols(static_cast<std::size_t>(g.col_rows() * g.out_area()), 0.0);
  for (index_t c = 0; c < g.channels; ++c) {
    for (index_t i = 0; i < g.kernel_h; ++i) {
      for (index_t j = 0; j < g.kernel_w; ++j) {
        for (index_t oh = 0; oh < g.out_h; ++oh) {
          for (index_t ow = 0; ow < g.out_w; ++ow) {
            const index_t y = oh * g.stride.h - g.padding.h + i * g.dilation.h;
            const index_t xx = ow * g.stride.w - g.padding.w + j * g.dilation.w;
            if (y < 0 || y >= g.height || xx < 0 || xx >= g.width) continue;
            cols[static_cast<std::size_t>(((c * g.kernel_h + i) * g.kernel_w + j) * g.out_area() + oh * g.out_w + ow)] =
                x[static_cast<std::size_t>((c * g.height + y) * g.width + xx)];
          }
        }
      }
    }
  }
  return cols;
}

std::vector<double> numbered(index_t n, double scale) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = scale * static_cast<double>(k % 101) - 7.0;
  return v;
}

// Geometries with strides, paddings and dilations that differ per dim, windows that reach past
// the padded image, and images larger than the windows cover (a transposed convolution's
// output_padding leaves such rows), as {C, H, W, OH, OW, kh, kw, stride, padding, dilation}.
std::vector<ConvGeometry> geometries() {
  const auto make = [](index_t c, index_t h, index_t w, index_t kh, index_t kw, Size2 s, Size2 p, Size2 d, index_t extra) {
    const index_t oh = duel::detail::conv_out_size(h, kh, s.h, p.h, d.h), ow = duel::detail::conv_out_size(w, kw, s.w, p.w, d.w);
    return ConvGeometry{c, h + extra, w + extra, 1, oh, ow, kh, kw, s, p, d};
  };
  return {make(1, 5, 5, 3, 3, 1, 0, 1, 0),          make(2, 14, 14, 4, 4, 2, 1, 1, 0), make(3, 7, 9, 3, 2, {2, 3}, {1, 0}, {1, 2}, 0),
          make(2, 8, 6, 3, 3, 3, 2, 2, 0),          make(1, 6, 6, 4, 4, 2, 1, 1, 1),   make(2, 9, 7, 2, 3, {1, 2}, {0, 2}, {3, 1}, 2),
          make(1, 4, 4, 5, 5, 1, 2, 1, 0)};
}

}  // namespace

TEST_CASE("im2col copies every window as the definition says, for any stride, padding and dilation") {
  for (const ConvGeometry& g : geometries()) {
    CAPTURE(g.height);
    CAPTURE(g.stride.h);
    const std::vector<double> x = numbered(g.image_size(), 0.5);
    std::vector<double> cols(static_cast<std::size_t>(g.col_rows() * g.out_area()), -1.0);
    duel::detail::im2col(x.data(), g, 0, g.channels, cols.data(), g.out_area());
    CHECK(cols == naive_im2col(x, g));
  }
}

TEST_CASE("im2col writes each image of a chunk into its own columns (col_stride)") {
  const ConvGeometry g = geometries()[1];
  const std::vector<double> x = numbered(2 * g.image_size(), 0.25);
  const index_t L = g.out_area();
  std::vector<double> cols(static_cast<std::size_t>(g.col_rows() * 2 * L));
  for (index_t n = 0; n < 2; ++n) duel::detail::im2col(x.data() + n * g.image_size(), g, 0, g.channels, cols.data() + n * L, 2 * L);
  for (index_t n = 0; n < 2; ++n) {
    const std::vector<double> image(x.begin() + n * g.image_size(), x.begin() + (n + 1) * g.image_size());
    const std::vector<double> expected = naive_im2col(image, g);
    for (index_t r = 0; r < g.col_rows(); ++r) {
      for (index_t l = 0; l < L; ++l) {
        REQUIRE(cols[static_cast<std::size_t>(r * 2 * L + n * L + l)] == expected[static_cast<std::size_t>(r * L + l)]);
      }
    }
  }
}

TEST_CASE("col2im is the adjoint of im2col: <im2col(x), c> = <x, col2im(c)>") {
  for (const ConvGeometry& g : geometries()) {
    const std::vector<double> x = numbered(g.image_size(), 0.5), c = numbered(g.col_rows() * g.out_area(), 0.125);
    std::vector<double> image(x.size(), 99.0);  // col2im overwrites, never accumulates into, its channels
    duel::detail::col2im(c.data(), g.out_area(), g, 0, g.channels, image.data());
    const std::vector<double> cols = naive_im2col(x, g);
    double lhs = 0, rhs = 0;
    for (std::size_t k = 0; k < cols.size(); ++k) lhs += cols[k] * c[k];
    for (std::size_t k = 0; k < x.size(); ++k) rhs += x[k] * image[k];
    CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
  }
}
