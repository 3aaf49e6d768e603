#include "duel/nn/linear.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "nn/module_fixture.hpp"

using duel::Var;
namespace fx = duel::fixtures;
namespace nn = duel::nn;

namespace {

struct Moments {
  double min, max, mean, std;
};

Moments moments_of(const duel::Tensor<float>& t) {
  double sum = 0, squares = 0;
  for (float v : t) sum += v;
  const double mean = sum / static_cast<double>(t.numel());
  for (float v : t) squares += (v - mean) * (v - mean);
  return {*std::min_element(t.begin(), t.end()), *std::max_element(t.begin(), t.end()), mean,
          std::sqrt(squares / static_cast<double>(t.numel()))};
}

}  // namespace

TEST_CASE("Linear matches PyTorch's nn.Linear (modules fixture), names and repr included") {
  nn::Linear m(5, 3);
  fx::check_module_case(fx::module_case("Linear"), m);
}

TEST_CASE("Linear: default init is U(-1/sqrt(in), 1/sqrt(in)) for weight and bias, as PyTorch's") {
  duel::manual_seed(3);
  nn::Linear m(400, 500);
  const double bound = 1 / std::sqrt(400.0);
  const Moments w = moments_of(m.weight.value()), b = moments_of(m.bias.value());
  CHECK(w.min >= -bound);
  CHECK(w.max <= bound);
  CHECK(w.min < -0.99 * bound);  // the whole range is used
  CHECK(w.max > 0.99 * bound);
  CHECK(std::abs(w.mean) < 0.01 * bound);
  CHECK(w.std == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.01));  // the std of U(-a, a) is a / sqrt(3)
  CHECK(b.min >= -bound);
  CHECK(b.max <= bound);
  CHECK(b.std == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.1));
  const auto quarter = std::count_if(m.weight.value().begin(), m.weight.value().end(), [&](float v) { return v > bound / 2; });
  CHECK(static_cast<double>(quarter) / 200000 == doctest::Approx(0.25).epsilon(0.02));  // flat, not bell-shaped
}

TEST_CASE("Linear: any leading dims are batch dims, as in PyTorch") {
  nn::Linear m(5, 3);
  const Var<float> x(duel::randn<float>({2, 4, 5}));
  const Var<float> y = m(x);
  CHECK(y.shape() == duel::Shape{2, 4, 3});
  CHECK(duel::allclose(y.value().reshape({8, 3}), m(Var<float>(x.value().reshape({8, 5}))).value(), 1e-6, 1e-6));
}

TEST_CASE("Linear: repr, parameter count and errors") {
  CHECK(nn::Linear(5, 3).repr() == "Linear(in_features=5, out_features=3, bias=True)");
  nn::Linear no_bias(100, 256, false);
  CHECK(no_bias.repr() == "Linear(in_features=100, out_features=256, bias=False)");
  CHECK(no_bias.num_parameters() == 25600);
  CHECK(nn::Linear(100, 256).num_parameters() == 25856);
  CHECK_THROWS_WITH_AS(no_bias(Var<float>(duel::zeros<float>({64, 784}))),
                       "Linear(in_features=100): input [64,784] does not end in 100 features", duel::ShapeError);
  CHECK_THROWS_WITH_AS(nn::Linear(0, 3), "Linear: sizes must be >= 1, got 0 and 3", duel::ValueError);
}
