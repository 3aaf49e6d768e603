#include "duel/nn/conv.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "nn/module_fixture.hpp"

using duel::Var;
namespace fx = duel::fixtures;
namespace nn = duel::nn;

TEST_CASE("Conv2d and ConvTranspose2d match PyTorch's modules (modules fixture), names and repr included") {
  nn::Conv2d conv(3, 4, 3, {.stride = 2, .padding = 1});
  fx::check_module_case(fx::module_case("Conv2d"), conv);
  nn::ConvTranspose2d up(4, 2, 4, {.stride = 2, .padding = 1});
  fx::check_module_case(fx::module_case("ConvTranspose2d"), up);
}

TEST_CASE("Conv2d and ConvTranspose2d: a wrong input names the layer and the channel counts") {
  nn::Conv2d conv(3, 8, 3);
  CHECK_THROWS_WITH_AS(conv(Var<float>(duel::zeros<float>({64, 1, 28, 28}))),
                       "Conv2d(in_channels=3): input [64,1,28,28] has 1 channel", duel::ShapeError);
  CHECK_THROWS_WITH_AS(conv(Var<float>(duel::zeros<float>({64, 784}))),
                       "Conv2d(in_channels=3): input [64,784] is not [N, C, H, W]", duel::ShapeError);
  nn::ConvTranspose2d up(8, 4, 4);
  CHECK_THROWS_WITH_AS(up(Var<float>(duel::zeros<float>({2, 4, 7, 7}))),
                       "ConvTranspose2d(in_channels=8): input [2,4,7,7] has 4 channels", duel::ShapeError);
}

TEST_CASE("Conv2d and ConvTranspose2d: repr in PyTorch's format, shapes and parameter counts") {
  nn::Conv2d conv(3, 4, 3, {.stride = 2, .padding = 1});
  CHECK(conv.repr() == "Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))");
  CHECK(conv.num_parameters() == 4 * 3 * 9 + 4);
  CHECK(nn::Conv2d(1, 8, {3, 5}, {.dilation = {1, 2}}, false).repr() ==
        "Conv2d(1, 8, kernel_size=(3, 5), stride=(1, 1), dilation=(1, 2), bias=False)");
  nn::ConvTranspose2d up(2, 3, 3, {.stride = 1, .padding = 2, .output_padding = 1, .dilation = 2});
  CHECK(up.repr() ==
        "ConvTranspose2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(2, 2), dilation=(2, 2), output_padding=(1, 1))");
  CHECK(up.weight.shape() == duel::Shape{2, 3, 3, 3});  // [in, out, kh, kw], PyTorch's layout
  CHECK(up(Var<float>(duel::zeros<float>({1, 2, 5, 5}))).shape() == duel::Shape{1, 3, 6, 6});
}

// Default options passed as {} by value: the pattern GCC 12.2 miscompiled with -march=native on
// AVX-512 (padding 1 instead of 0), which made the DCGAN critic's last layer the wrong size.
TEST_CASE("Conv2d and ConvTranspose2d: options given as {} are the defaults, stride 1, padding 0, dilation 1") {
  nn::Conv2d last(512, 1, 4, {}, false);
  CHECK(last.repr() == "Conv2d(512, 1, kernel_size=(4, 4), stride=(1, 1), bias=False)");
  CHECK(last(Var<float>(duel::zeros<float>({1, 512, 4, 4}))).shape() == duel::Shape{1, 1, 1, 1});
  nn::ConvTranspose2d first(100, 512, 4, {}, false);
  CHECK(first.repr() == "ConvTranspose2d(100, 512, kernel_size=(4, 4), stride=(1, 1), bias=False)");
  CHECK(first(Var<float>(duel::zeros<float>({1, 100, 1, 1}))).shape() == duel::Shape{1, 512, 4, 4});
}

// PyTorch's fan_in is weight.size(1) * kh * kw: in * kh * kw for Conv2d, out * kh * kw for
// ConvTranspose2d (whose weight is [in, out, kh, kw]).
TEST_CASE("Conv2d and ConvTranspose2d: default init is U(-1/sqrt(fan_in), 1/sqrt(fan_in))") {
  duel::manual_seed(4);
  nn::Conv2d conv(64, 32, 4);
  nn::ConvTranspose2d up(32, 64, 4);
  for (auto [w, b] : {std::pair{conv.weight, conv.bias}, std::pair{up.weight, up.bias}}) {
    const double bound = 1 / std::sqrt(64.0 * 16);
    const auto [lo, hi] = std::minmax_element(w.value().begin(), w.value().end());
    CHECK(*lo >= -bound);
    CHECK(*hi <= bound);
    CHECK(*lo < -0.99 * bound);
    CHECK(*hi > 0.99 * bound);
    CHECK(std::all_of(b.value().begin(), b.value().end(), [&](float v) { return std::abs(v) <= bound; }));
  }
}
