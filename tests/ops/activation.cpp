#include "duel/ops/activation.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "duel/ops/reduce.hpp"
#include "duel/ops/softmax.hpp"
#include "fixtures.hpp"
#include "test_util.hpp"

using duel::Var;
using namespace duel::test;

namespace {

double sigmoid_of(double x) { return 1 / (1 + std::exp(-x)); }

// f(x) and d sum(f(x)) / dx for one Var.
template <class T, class F>
std::pair<Var<T>, Var<T>> value_and_grad(F f, const std::vector<T>& values) {
  Var<T> x = var_of<T>(values, {static_cast<duel::index_t>(values.size())});
  Var<T> y = f(x);
  duel::sum(y).backward();
  return {y, x.grad()};
}

template <class T>
bool all_finite(const Var<T>& v) {
  return std::all_of(v.value().begin(), v.value().end(), [](T x) { return std::isfinite(x); });
}

}  // namespace

TEST_CASE("relu, leaky_relu, sigmoid, tanh, softplus: hand-computed values") {
  Var<double> x = var_of<double>({-2, -0.5, 0, 0.5, 3}, {5});
  check_close(duel::relu(x), {0, 0, 0, 0.5, 3});
  check_close(duel::leaky_relu(x), {-0.02, -0.005, 0, 0.5, 3});
  check_close(duel::leaky_relu(x, 0.2), {-0.4, -0.1, 0, 0.5, 3});
  check_close(duel::sigmoid(x), {sigmoid_of(-2), sigmoid_of(-0.5), 0.5, sigmoid_of(0.5), sigmoid_of(3)});
  check_close(duel::tanh(x), {std::tanh(-2.0), std::tanh(-0.5), 0, std::tanh(0.5), std::tanh(3.0)});
  check_close(duel::softplus(x), {std::log1p(std::exp(-2.0)), std::log1p(std::exp(-0.5)), std::log(2.0),
                                  std::log1p(std::exp(0.5)), std::log1p(std::exp(3.0))});
  check_close(duel::softplus(var_of<double>({25, 19}, {2})), {25, std::log1p(std::exp(19.0))});  // x itself above the threshold
}

TEST_CASE("relu and leaky_relu: gradients at and around 0 follow PyTorch") {
  auto [r, dr] = value_and_grad<double>([](const auto& x) { return duel::relu(x); }, {-1, 0, 2});
  check_close(dr, {0, 0, 1});
  auto [l, dl] = value_and_grad<double>([](const auto& x) { return duel::leaky_relu(x, 0.1); }, {-1, 0, 2});
  check_close(dl, {0.1, 0.1, 1});
  auto [n, dn] = value_and_grad<double>([](const auto& x) { return duel::leaky_relu(x, -0.5); }, {-1, 0, 2});
  check_close(n, {0.5, 0, 2});  // a negative slope: positive outputs where x is negative
  check_close(dn, {-0.5, -0.5, 1});
}

TEST_CASE("activations: gradcheck and gradgradcheck away from the kink at 0") {
  duel::Generator gen(41);
  const Inputs any{rand_var({2, 4}, gen, -3, 3)};
  const Inputs away{rand_away_from_zero({2, 4}, gen, 0.1, 2)};
  check_gradients([](const Inputs& v) { return duel::relu(v[0]); }, away);
  check_gradients([](const Inputs& v) { return duel::leaky_relu(v[0], 0.2); }, away);
  check_gradients([](const Inputs& v) { return duel::leaky_relu(v[0], -0.5); }, away);
  check_gradients([](const Inputs& v) { return duel::sigmoid(v[0]); }, any);
  check_gradients([](const Inputs& v) { return duel::tanh(v[0]); }, any);
  check_gradients([](const Inputs& v) { return duel::softplus(v[0]); }, any);
  check_gradients([](const Inputs& v) { return duel::softplus(v[0], 1.0); }, {var_of<double>({-1, 0.5, 1.5, 3}, {4})});
  check_gradients([](const Inputs& v) { return duel::relu(v[0]) * duel::sigmoid(v[0]); }, away);
}

TEST_CASE("sigmoid and softplus are finite and right at +-100 in float and +-1e4 in double") {
  auto [sf, dsf] = value_and_grad<float>([](const auto& x) { return duel::sigmoid(x); }, {-100, 100});
  check_close(sf.value(), duel::from_vector<float>({0, 1}), 0, 1e-30);
  check_close(dsf.value(), duel::from_vector<float>({0, 0}), 0, 1e-30);
  CHECK(all_finite(dsf));

  auto [pf, dpf] = value_and_grad<float>([](const auto& x) { return duel::softplus(x); }, {-100, 100});
  check_close(pf.value(), duel::from_vector<float>({0, 100}), 0, 1e-30);
  check_close(dpf.value(), duel::from_vector<float>({0, 1}), 0, 1e-30);

  auto [sd, dsd] = value_and_grad<double>([](const auto& x) { return duel::sigmoid(x); }, {-1e4, -100, 100, 1e4});
  check_close(sd, {0, std::exp(-100.0), 1, 1}, 1e-12, 0);
  CHECK(all_finite(dsd));
  CHECK(dsd.value()(1) > 0);  // e^-100 (1 - e^-100), still representable in double

  auto [pd, dpd] = value_and_grad<double>([](const auto& x) { return duel::softplus(x); }, {-1e4, -100, 100, 1e4});
  check_close(pd, {0, std::exp(-100.0), 100, 1e4}, 1e-12, 0);  // log(1 + e^-100) = e^-100 to double precision
  check_close(dpd, {0, std::exp(-100.0), 1, 1}, 1e-12, 0);

  auto [td, dtd] = value_and_grad<double>([](const auto& x) { return duel::tanh(x); }, {-1e4, 1e4});
  check_close(td, {-1, 1});
  check_close(dtd, {0, 0});
}

// PyTorch reference values (tests/fixtures).
namespace fx = duel::fixtures;

// Odd cases hold +-30, 0 exactly, 21 (just above softplus's threshold) and, where it matters, +-100.
TEST_CASE_TEMPLATE("relu, leaky_relu, sigmoid, tanh, softplus, log_softmax match PyTorch on every fixture case", T, float,
                   double) {
  fx::for_each_case("activations", [](const fx::Case& c) {
    const std::string fn = c.str("fn");
    fx::check_op<T>(c, {"x"}, [&](const fx::Inputs<T>& in) {
      const Var<T> x = in["x"];
      if (fn == "relu") return duel::relu(x);
      if (fn == "leaky_relu") return duel::leaky_relu(x, c.number("negative_slope"));
      if (fn == "sigmoid") return duel::sigmoid(x);
      if (fn == "tanh") return duel::tanh(x);
      if (fn == "softplus") {
        REQUIRE(c.number("beta") == 1);  // Duel's softplus has no beta
        return duel::softplus(x, c.number("threshold"));
      }
      REQUIRE(fn == "log_softmax");
      return duel::log_softmax(x, static_cast<int>(c.integer("dim")));
    });
  });
}
