#include "duel/ops/math.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "duel/ops/activation.hpp"
#include "duel/ops/reduce.hpp"
#include "test_util.hpp"

using duel::Var;
using namespace duel::test;

TEST_CASE("exp, log, sqrt, abs: hand-computed values") {
  Var<double> x = var_of<double>({0, 1, -2, 0.5}, {2, 2});
  check_close(duel::exp(x), {1, std::exp(1.0), std::exp(-2.0), std::exp(0.5)});
  check_close(duel::abs(x), {0, 1, 2, 0.5});
  Var<double> p = var_of<double>({1, 4, 0.25, std::exp(2.0)}, {4});
  check_close(duel::log(p), {0, std::log(4.0), std::log(0.25), 2});
  check_close(duel::sqrt(p), {1, 2, 0.5, std::exp(1.0)});
  CHECK(duel::exp(x).shape() == duel::Shape{2, 2});
  CHECK(duel::exp(var_of<double>({}, {0})).numel() == 0);
}

TEST_CASE("clamp: values, bounds on one side, and a min above the max") {
  Var<double> x = var_of<double>({-3, -1, 0, 1, 3}, {5});
  check_close(duel::clamp(x, -1.5, 2.0), {-1.5, -1, 0, 1, 2});
  check_close(duel::clamp(x, 0.0), {0, 0, 0, 1, 3});
  check_close(duel::clamp(x, -std::numeric_limits<double>::infinity(), -2.0), {-3, -2, -2, -2, -2});
  CHECK_THROWS_WITH_AS(duel::clamp(x, 2.0, 1.0), "clamp: min 2 is greater than max 1", duel::ValueError);
}

TEST_CASE("abs and clamp: gradients at the kinks follow PyTorch") {
  Var<double> x = var_of<double>({-2, 0, 1, 2, 3}, {5});
  duel::sum(duel::abs(x)).backward();
  check_close(x.grad(), {-1, 0, 1, 1, 1});  // sign(x), 0 at 0
  x.zero_grad();
  duel::sum(duel::clamp(x, 0.0, 2.0)).backward();
  check_close(x.grad(), {0, 1, 1, 1, 0});  // passes where lo <= x <= hi, the bounds included
}

TEST_CASE("exp, log, sqrt, abs, clamp: gradcheck and gradgradcheck away from kinks and domain edges") {
  duel::Generator gen(21);
  const Inputs any{rand_var({2, 3}, gen, -2, 2)};
  const Inputs positive{rand_var({2, 3}, gen, 0.3, 3)};
  const Inputs away{rand_away_from_zero({2, 3}, gen, 0.2, 2)};
  const Inputs spread{var_of<double>({-2.1, -0.7, 0.3, 0.9, 1.6, 2.4}, {2, 3})};  // none near -1 or 1.5
  check_gradients([](const Inputs& v) { return duel::exp(v[0]); }, any);
  check_gradients([](const Inputs& v) { return duel::log(v[0]); }, positive);
  check_gradients([](const Inputs& v) { return duel::sqrt(v[0]); }, positive);
  check_gradients([](const Inputs& v) { return duel::abs(v[0]); }, away);
  check_gradients([](const Inputs& v) { return duel::clamp(v[0], -1.0, 1.5); }, spread);
  check_gradients([](const Inputs& v) { return duel::exp(v[0]) * duel::log(duel::abs(v[0])); }, away);
}

// Large tensors are split over the threads (detail::map); SIMD and scalar exp differ in the last
// bit, so only a split at fixed places gives the same numbers for any thread count.
TEST_CASE("exp, tanh, sigmoid and the leaky_relu backward of a large tensor are the same bits at 1 to 4 threads") {
  const duel::test::ThreadCountGuard guard;
  duel::Generator gen(43);
  const Var<float> x(duel::randn<float>({3, 100'003}, gen), true);
  std::vector<duel::Tensor<float>> results;
  for (int threads : {1, 2, 3, 4}) {
    duel::set_num_threads(threads);
    Var<float> xt(x.value(), true);
    Var<float> y = duel::exp(xt * 10.0) + duel::tanh(xt) + duel::sigmoid(xt) + duel::leaky_relu(xt, 0.2);
    y.backward(Var<float>(duel::ones<float>(y.shape())));
    results.push_back(y.value().clone());
    results.push_back(xt.grad().value().clone());
  }
  for (std::size_t k = 2; k < results.size(); ++k) CHECK(duel::allclose(results[k], results[k % 2], 0, 0));
}
