#include "duel/nn/init.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "duel/nn.hpp"

using duel::Var;
namespace nn = duel::nn;
namespace init = duel::nn::init;

namespace {

struct Stats {
  double mean, std, max_abs;
};

Stats stats_of(const duel::Tensor<float>& t) {
  double sum = 0, squares = 0, max_abs = 0;
  for (float v : t) {
    sum += v;
    squares += static_cast<double>(v) * v;
    max_abs = std::max(max_abs, static_cast<double>(std::abs(v)));
  }
  const double n = static_cast<double>(t.numel()), mean = sum / n;
  return {mean, std::sqrt(squares / n - mean * mean), max_abs};
}

Var<float> param(const duel::Shape& shape) { return Var<float>(duel::zeros<float>(shape), true); }

}  // namespace

TEST_CASE("init: fans follow PyTorch, gains are the recommended ones") {
  const init::Fans conv = init::fans({64, 32, 4, 4});
  CHECK(conv.in == 32 * 16);
  CHECK(conv.out == 64 * 16);
  CHECK(init::fans({10, 20}).in == 20);
  CHECK_THROWS_WITH_AS(init::fans({5}), "init: fan in and fan out need at least 2 dims, got [5]", duel::ShapeError);
  CHECK(init::calculate_gain("relu") == doctest::Approx(std::sqrt(2.0)));
  CHECK(init::calculate_gain("leaky_relu", 0.2) == doctest::Approx(std::sqrt(2 / 1.04)));
  CHECK(init::calculate_gain("tanh") == doctest::Approx(5.0 / 3));
  CHECK(init::calculate_gain("sigmoid") == 1);
  CHECK_THROWS_WITH_AS(init::calculate_gain("gelu"), "calculate_gain: unknown nonlinearity 'gelu'", duel::ValueError);
}

TEST_CASE("init: kaiming_normal_ has std gain / sqrt(fan), kaiming_uniform_ bound gain sqrt(3 / fan)") {
  duel::Generator gen(1001);
  Var<float> w = param({256, 128, 3, 3});  // fan_in 1152, fan_out 2304
  init::kaiming_normal_(w, 0, init::FanMode::fan_in, "relu", gen);
  Stats s = stats_of(w.value());
  CHECK(std::abs(s.mean) < 0.001);
  CHECK(s.std == doctest::Approx(std::sqrt(2.0 / 1152)).epsilon(0.01));
  init::kaiming_normal_(w, 0.2, init::FanMode::fan_out, "leaky_relu", gen);
  CHECK(stats_of(w.value()).std == doctest::Approx(std::sqrt(2 / 1.04 / 2304)).epsilon(0.01));
  init::kaiming_uniform_(w, 0, init::FanMode::fan_in, "relu", gen);
  s = stats_of(w.value());
  const double bound = std::sqrt(2.0) * std::sqrt(3.0 / 1152);
  CHECK(s.max_abs <= bound);
  CHECK(s.max_abs > 0.999 * bound);
  CHECK(s.std == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.01));
}

TEST_CASE("init: xavier_uniform_ bound gain sqrt(6 / (fan_in + fan_out)), xavier_normal_ std gain sqrt(2 / (...))") {
  duel::Generator gen(1002);
  Var<float> w = param({300, 500});
  init::xavier_uniform_(w, 2, gen);
  const double bound = 2 * std::sqrt(6.0 / 800);
  const Stats s = stats_of(w.value());
  CHECK(s.max_abs <= bound);
  CHECK(s.max_abs > 0.999 * bound);
  CHECK(s.std == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.01));
  init::xavier_normal_(w, 1, gen);
  CHECK(stats_of(w.value()).std == doctest::Approx(std::sqrt(2.0 / 800)).epsilon(0.01));
}

TEST_CASE("init: constant fills, and the same generator seed gives the same draw") {
  Var<float> w = param({4, 4});
  init::constant_(w, 0.5);
  CHECK(stats_of(w.value()).mean == 0.5);
  init::ones_(w);
  CHECK(stats_of(w.value()).max_abs == 1);
  init::zeros_(w);
  CHECK(stats_of(w.value()).max_abs == 0);
  Var<float> a = param({8, 8}), b = param({8, 8});
  duel::Generator g1(7), g2(7);
  init::normal_(a, 0, 1, g1);
  init::normal_(b, 0, 1, g2);
  CHECK(duel::allclose(a.value(), b.value(), 0, 0));
}

// Radford et al.: conv weights from N(0, 0.02), batch norm weights from N(1, 0.02), bias 0; every
// other parameter (conv biases, linear layers) keeps its default.
TEST_CASE("init: dcgan_ draws conv weights with std 0.02 and batch norm weights around 1") {
  duel::Generator gen(1003);
  nn::Sequential net(nn::ConvTranspose2d(100, 256, 4), nn::BatchNorm2d(512), nn::Conv2d(256, 64, 4), nn::Linear(3, 2));
  auto bn = net.at<nn::BatchNorm2d>(1);
  init::normal_(bn->bias, 0, 1, gen);
  const duel::Tensor<float> conv_bias = net.at<nn::Conv2d>(2)->bias.value().clone();
  const duel::Tensor<float> linear_weight = net.at<nn::Linear>(3)->weight.value().clone();
  init::dcgan_(net, gen);
  for (const Var<float>& w : {net.at<nn::ConvTranspose2d>(0)->weight, net.at<nn::Conv2d>(2)->weight}) {
    const Stats s = stats_of(w.value());
    CHECK(std::abs(s.mean) < 0.001);
    CHECK(s.std == doctest::Approx(0.02).epsilon(0.02));
  }
  const Stats gamma = stats_of(bn->weight.value());
  CHECK(gamma.mean == doctest::Approx(1).epsilon(0.005));
  CHECK(gamma.std == doctest::Approx(0.02).epsilon(0.15));
  CHECK(stats_of(bn->bias.value()).max_abs == 0);
  CHECK(duel::allclose(net.at<nn::Conv2d>(2)->bias.value(), conv_bias, 0, 0));
  CHECK(duel::allclose(net.at<nn::Linear>(3)->weight.value(), linear_weight, 0, 0));
}
