#include "duel/ops/conv_channels_last.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/conv_test_util.hpp"
#include "test_util.hpp"

using duel::index_t;
using duel::detail::ConvGeometry;
using duel::test::make_geometry;
using duel::test::pattern;

namespace {

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
// 500 columns of 20 channels, which the GEMM's blocks of 384 cut in the middle of a window,
// and windows that meet the padding in more ways than RowBands keeps bands for, lie wholly in it,
// or never read some kernel row inside the image.
// Outputs of 32 channels or more take the forward's implicit GEMM, fewer its fallback via colsT.
const ConvGeometry channels_last_geometries[] = {
    make_geometry(16, 96, 96, 32, 3, 3, 1, 1, 1),  // 147K numbers per image, 1.3M of colsT
    make_geometry(16, 14, 14, 32, 4, 4, 2, 1, 1), make_geometry(24, 9, 7, 36, 3, 2, {2, 1}, {1, 0}, {1, 2}),
    make_geometry(16, 4, 4, 3, 4, 4, 1, 0, 1), make_geometry(16, 6, 6, 4, 4, 4, 2, 1, 1, 1),
    make_geometry(20, 7, 6, 40, 5, 5, 1, 2, 1), make_geometry(16, 9, 9, 8, 9, 9, 1, 4, 1),
    make_geometry(16, 4, 4, 32, 2, 2, 1, 3, 1), make_geometry(16, 4, 4, 8, 3, 1, 1, {2, 0}, {3, 1})};

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

// Chunks go in groups with their own copies of dW, summed in order (for_each_weight_chunk): the
// same numbers, bit for bit, for any thread count; each row of the input gradient's colsT is one
// sum, whichever thread's chunk holds it. The first geometry makes 9 chunks of one image
// (8 groups), the critic's at batch 64 4 chunks of 16 (4 groups); the third is too wide for
// copies and takes every chunk in turn.
TEST_CASE("channels-last weight and input gradients are the same bit for bit at 1, 2 and 3 threads") {
  const std::pair<ConvGeometry, index_t> cases[] = {{channels_last_geometries[0], 9},
                                                    {make_geometry(64, 14, 14, 128, 4, 4, 2, 1, 1), 64},
                                                    {make_geometry(256, 8, 8, 512, 4, 4, 2, 1, 1), 8}};
  for (const auto& c : cases) {
    const ConvGeometry& g = c.first;
    const index_t batch = c.second, O = g.out_channels, K = g.col_rows();
    CAPTURE(g.channels);
    const std::vector<float> x = pattern<float>(batch * g.image_size(), 0.01), w = pattern<float>(O * K, 0.02),
                             gy = pattern<float>(batch * O * g.out_area(), 0.03);
    std::vector<std::vector<float>> dw, fused_dw, fused_y, dx;
    for (const int threads : {1, 2, 3}) {
      duel::test::ThreadCountGuard guard;
      duel::set_num_threads(threads);
      dx.emplace_back(x.size());
      duel::detail::conv2d_transpose_channels_last(gy.data(), w.data(), dx.back().data(), batch, g);
      dw.emplace_back(w.size());
      duel::detail::conv2d_weight_channels_last(x.data(), gy.data(), dw.back().data(), batch, g);
      fused_dw.emplace_back(w.size());
      fused_y.emplace_back(gy.size());
      duel::detail::conv2d_forward_and_weight_channels_last(x.data(), w.data(), fused_y.back().data(), gy.data(),
                                                            fused_dw.back().data(), batch, g);
    }
    CHECK(dx[0] == dx[1]);
    CHECK(dx[0] == dx[2]);
    CHECK(dw[0] == dw[1]);
    CHECK(fused_dw[0] == fused_dw[1]);
    CHECK(fused_y[0] == fused_y[1]);
    if (g.channels < 256) {  // copies of dW: 3 threads too; one copy, whose chunks follow the thread count, only 1 and 2
      CHECK(dw[0] == dw[2]);
      CHECK(fused_dw[0] == fused_dw[2]);
    }
  }
}
