#include "duel/ops/conv_channels_last.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "test_util.hpp"

using duel::index_t;
using duel::Size2;
using duel::detail::ConvGeometry;

namespace {

template <class T>
std::vector<T> pattern(index_t n, double scale) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<T>(scale * static_cast<double>(static_cast<int>(k * 37 % 101) - 50));
  return v;
}

// The largest difference between a and b, relative to the largest magnitude in a.
template <class T>
double relative_difference(const std::vector<T>& a, const std::vector<T>& b) {
  double diff = 0, scale = 1e-30;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (std::isnan(static_cast<double>(b[k]))) return 1;  // a number never written
    diff = std::max(diff, std::abs(static_cast<double>(a[k]) - static_cast<double>(b[k])));
    scale = std::max(scale, std::abs(static_cast<double>(a[k])));
  }
  return diff / scale;
}

// {C, H, W, O, kh, kw, stride, padding, dilation, extra}: strides, paddings and dilations that
// differ per dim, windows reaching past the image, images with `extra` rows and columns that no
// window reads (a transposed convolution's output_padding), a batch of 9 that the first geometry
// splits into chunks of 1M numbers (7 + 2 images for the forward, one at a time through colsT),
// and 500 columns of 20 channels, which the GEMM's blocks of 384 cut in the middle of a window.
// Outputs of 32 channels or more take the forward's implicit GEMM, fewer its fallback via colsT.
ConvGeometry make_geometry(index_t c, index_t h, index_t w, index_t o, index_t kh, index_t kw, Size2 s, Size2 p, Size2 d,
                           index_t extra = 0) {
  return {c,  h + extra, w + extra, o, duel::detail::conv_out_size(h, kh, s.h, p.h, d.h),
          duel::detail::conv_out_size(w, kw, s.w, p.w, d.w), kh, kw, s, p, d};
}
const ConvGeometry channels_last_geometries[] = {
    make_geometry(16, 96, 96, 32, 3, 3, 1, 1, 1),  // 147K numbers per image, 1.3M of colsT
    make_geometry(16, 14, 14, 32, 4, 4, 2, 1, 1), make_geometry(24, 9, 7, 36, 3, 2, {2, 1}, {1, 0}, {1, 2}),
    make_geometry(16, 4, 4, 3, 4, 4, 1, 0, 1), make_geometry(16, 6, 6, 4, 4, 4, 2, 1, 1, 1),
    make_geometry(20, 7, 6, 40, 5, 5, 1, 2, 1)};

}  // namespace

TEST_CASE("channels_last_stride pads rows whose length is a multiple of 1 KB") {
  CHECK(duel::detail::channels_last_stride<float>(1024) == 1040);
  CHECK(duel::detail::channels_last_stride<float>(256) == 272);
  CHECK(duel::detail::channels_last_stride<float>(1000) == 1000);
  CHECK(duel::detail::channels_last_stride<double>(128) == 136);
  CHECK(duel::detail::channels_last_stride<double>(144) == 144);
}

// The channels-last kernels against the NCHW ones of conv_kernels.hpp, which im2col.cpp checks
// against the definition: the same sums, in another order. Outputs start as NaN, so that a
// number left unwritten fails.
TEST_CASE_TEMPLATE("channels-last kernels compute what the NCHW kernels compute, at one and two threads", T, float,
                   double) {
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  for (const int threads : {1, 2}) {
    duel::test::ThreadCountGuard guard;
    duel::set_num_threads(threads);
    for (const ConvGeometry& g : channels_last_geometries) {
      CAPTURE(threads);
      CAPTURE(g.channels);
      CAPTURE(g.height);
      const index_t batch = 9, K = g.col_rows(), O = g.out_channels;
      const std::vector<T> x = pattern<T>(batch * g.image_size(), 0.01), w = pattern<T>(O * K, 0.02),
                           bias = pattern<T>(O, 0.1), gy = pattern<T>(batch * O * g.out_area(), 0.03);
      std::vector<T> y1(gy.size()), y2(gy.size(), nan), dx1(x.size()), dx2(x.size(), nan), dw1(w.size()), dw2(w.size(), nan);

      duel::detail::conv2d_forward_kernel(x.data(), w.data(), bias.data(), y1.data(), batch, g);
      duel::detail::conv2d_forward_channels_last(x.data(), w.data(), bias.data(), y2.data(), batch, g);
      CHECK(relative_difference(y1, y2) < tolerance);

      duel::detail::conv2d_transpose_kernel(gy.data(), w.data(), dx1.data(), batch, g);
      duel::detail::conv2d_transpose_channels_last(gy.data(), w.data(), dx2.data(), batch, g);
      CHECK(relative_difference(dx1, dx2) < tolerance);

      duel::detail::conv2d_weight_kernel(x.data(), gy.data(), dw1.data(), batch, g);
      duel::detail::conv2d_weight_channels_last(x.data(), gy.data(), dw2.data(), batch, g);
      CHECK(relative_difference(dw1, dw2) < tolerance);

      std::fill(y2.begin(), y2.end(), nan);
      std::fill(dw2.begin(), dw2.end(), nan);
      duel::detail::conv2d_forward_and_weight_channels_last(x.data(), w.data(), y2.data(), gy.data(), dw2.data(), batch, g);
      duel::detail::conv2d_forward_kernel<T>(x.data(), w.data(), nullptr, y1.data(), batch, g);
      CHECK(relative_difference(y1, y2) < tolerance);
      CHECK(relative_difference(dw1, dw2) < tolerance);
    }
  }
}

TEST_CASE("channels-last weight gradient of an empty batch is zero") {
  const ConvGeometry g = channels_last_geometries[1];
  std::vector<double> dw(static_cast<std::size_t>(g.out_channels * g.col_rows()), -1.0);
  duel::detail::conv2d_weight_channels_last<double>(nullptr, nullptr, dw.data(), 0, g);
  CHECK(std::all_of(dw.begin(), dw.end(), [](double v) { return v == 0.0; }));
}

// The implicit GEMM's packer against pack_a reading the colsT that im2col_channels_last builds:
// the same numbers, for blocks that start inside a window and run past the last image's rows.
TEST_CASE_TEMPLATE("WindowPanels packs the panels pack_a packs from colsT", T, float, double) {
  using duel::detail::GemmBlocking;
  constexpr index_t MR = GemmBlocking<T>::mr;
  for (const ConvGeometry& g : channels_last_geometries) {
    CAPTURE(g.channels);
    CAPTURE(g.height);
    const index_t batch = 3, K = g.col_rows(), M = batch * g.out_area();
    const std::vector<T> x = pattern<T>(batch * g.image_size(), 0.01);
    std::vector<T> colsT(static_cast<std::size_t>(M * K)), images(x.size());
    duel::detail::im2col_channels_last(x.data(), g, 0, batch, colsT.data(), K);
    for (index_t b = 0; b < batch; ++b) {
      duel::detail::transpose_matrix(x.data() + b * g.image_size(), g.channels, g.height * g.width, images.data() + b * g.image_size());
    }
    const duel::detail::WindowPanels<T> panels{images.data(), g};
    for (const index_t i : {index_t(0), std::min(MR, M - 1), std::max<index_t>(M - 13, 0)}) {
      for (const index_t k : {index_t(0), g.channels / 2 + 1, K - 7}) {
        const index_t m = std::min<index_t>(M - i, 29), kc = std::min<index_t>(K - k, 45), size = (m + MR - 1) / MR * MR * kc;
        CAPTURE(i);
        CAPTURE(k);
        std::vector<T> expected(static_cast<std::size_t>(size)), packed(expected.size(), T(-7));
        duel::detail::pack_a<T>({colsT.data() + i * K + k, K, 1}, m, kc, expected.data());
        panels(i, k, m, kc, packed.data());
        CHECK(packed == expected);
      }
    }
  }
}
