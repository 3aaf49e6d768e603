#include "duel/ops/arithmetic.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "duel/ops/reduce.hpp"
#include "test_util.hpp"

using duel::Shape;
using duel::Var;
using namespace duel::test;

namespace {

// gradcheck and gradgradcheck of f(a, b) on every broadcast case, with a in [alo, ahi) and b in [blo, bhi).
template <class F>
void check_binary_gradients(F f, double alo, double ahi, double blo, double bhi, std::uint64_t seed) {
  duel::Generator gen(seed);
  for (const auto& shapes : broadcast_cases()) {
    const Shape& sa = shapes.first;  // not a structured binding: clang 14 cannot capture those
    const Shape& sb = shapes.second;
    CAPTURE(sa);
    CAPTURE(sb);
    check_gradients([f](const Inputs& xs) { return f(xs[0], xs[1]); }, {rand_var(sa, gen, alo, ahi), rand_var(sb, gen, blo, bhi)});
  }
}

}  // namespace

TEST_CASE("arithmetic: forward values of Var-Var ops, with and without broadcasting") {
  Var<double> a = var_of<double>({1, 2, 3}, {3}), b = var_of<double>({4, 5, 6}, {3});
  check_close(a + b, {5, 7, 9});
  check_close(a - b, {-3, -3, -3});
  check_close(a * b, {4, 10, 18});
  check_close(a / b, {0.25, 0.4, 0.5});
  check_close(-a, {-1, -2, -3});
  check_close(duel::pow(a, b), {1, 32, 729});

  Var<double> col = var_of<double>({10, 20}, {2, 1});
  Var<double> sum = col + a;
  CHECK(sum.shape() == Shape{2, 3});
  check_close(sum, {11, 12, 13, 21, 22, 23});
  check_close(a - col, {-9, -8, -7, -19, -18, -17});
  Var<double> scalar = var_of<double>({2}, {});
  check_close(a * scalar, {2, 4, 6});
  CHECK((scalar * scalar).shape() == Shape{});
}

TEST_CASE("arithmetic: forward values with a scalar on either side") {
  Var<double> a = var_of<double>({1, 2, 4}, {3});
  check_close(a + 1.5, {2.5, 3.5, 5.5});
  check_close(1.5 + a, {2.5, 3.5, 5.5});
  check_close(a - 1, {0, 1, 3});
  check_close(1 - a, {0, -1, -3});
  check_close(a * 3, {3, 6, 12});
  check_close(3 * a, {3, 6, 12});
  check_close(a / 2, {0.5, 1, 2});
  check_close(2 / a, {2, 1, 0.5});
  check_close(duel::pow(a, 0.5), {1, std::sqrt(2.0), 2});
  check_close(duel::pow(a, -1.0), {1, 0.5, 0.25});
  check_close(duel::pow(a, 0.0), {1, 1, 1});
  Var<float> f = var_of<float>({1, 2}, {2});  // the scalar is converted to the Var's type
  check_close(f * 0.5 + 1, std::vector<float>{1.5f, 2.0f});
}

TEST_CASE("arithmetic: shape errors name the op and both shapes") {
  Var<double> a = var_of<double>({1, 2, 3}, {3}), b = var_of<double>({1, 2}, {2});
  CHECK_THROWS_WITH_AS(a + b, "add: shapes [3] and [2] cannot be broadcast (dim 0: 3 vs 2)", duel::ShapeError);
  CHECK_THROWS_WITH_AS(a - b, "sub: shapes [3] and [2] cannot be broadcast (dim 0: 3 vs 2)", duel::ShapeError);
  CHECK_THROWS_WITH_AS(a * b, "mul: shapes [3] and [2] cannot be broadcast (dim 0: 3 vs 2)", duel::ShapeError);
  CHECK_THROWS_WITH_AS(a / b, "div: shapes [3] and [2] cannot be broadcast (dim 0: 3 vs 2)", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::pow(a, b), "pow: shapes [3] and [2] cannot be broadcast (dim 0: 3 vs 2)", duel::ShapeError);
}

TEST_CASE("arithmetic: hand-computed gradients of a broadcast product and quotient") {
  Var<double> a = var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3}), b = var_of<double>({1, 2, 4}, {3});
  duel::sum(a * b).backward();
  check_close(a.grad(), {1, 2, 4, 1, 2, 4});
  check_close(b.grad(), {5, 7, 9});  // summed over the broadcast rows
  a.zero_grad();
  b.zero_grad();
  duel::sum(a / b).backward();
  check_close(a.grad(), {1, 0.5, 0.25, 1, 0.5, 0.25});
  check_close(b.grad(), {-5, -7.0 / 4, -9.0 / 16});  // -sum(a) / b^2
}

TEST_CASE("arithmetic: gradcheck and gradgradcheck of add, sub, mul, div, pow on broadcast shapes") {
  check_binary_gradients([](const auto& a, const auto& b) { return a + b; }, -1, 1, -1, 1, 1);
  check_binary_gradients([](const auto& a, const auto& b) { return a - b; }, -1, 1, -1, 1, 2);
  check_binary_gradients([](const auto& a, const auto& b) { return a * b; }, -1, 1, -1, 1, 3);
  check_binary_gradients([](const auto& a, const auto& b) { return a / b; }, -1, 1, 0.5, 1.5, 4);
  check_binary_gradients([](const auto& a, const auto& b) { return b / a; }, 0.5, 1.5, -1, 1, 5);
  check_binary_gradients([](const auto& a, const auto& b) { return duel::pow(a, b); }, 0.5, 2, -1.5, 1.5, 6);
  check_binary_gradients([](const auto& a, const auto& b) { return a * a - b * a; }, -1, 1, -1, 1, 7);  // inputs used twice
}

TEST_CASE("arithmetic: gradcheck and gradgradcheck of the scalar forms") {
  duel::Generator gen(9);
  const Inputs any{rand_var({2, 3}, gen)};
  const Inputs away{rand_away_from_zero({2, 3}, gen, 0.5, 1.5)};
  const Inputs positive{rand_var({2, 3}, gen, 0.5, 2)};
  check_gradients([](const Inputs& x) { return x[0] + 2.5; }, any);
  check_gradients([](const Inputs& x) { return 2.5 + x[0]; }, any);
  check_gradients([](const Inputs& x) { return x[0] - 1.5; }, any);
  check_gradients([](const Inputs& x) { return 1.5 - x[0]; }, any);
  check_gradients([](const Inputs& x) { return x[0] * -3; }, any);
  check_gradients([](const Inputs& x) { return -3 * x[0]; }, any);
  check_gradients([](const Inputs& x) { return x[0] / 4; }, any);
  check_gradients([](const Inputs& x) { return 4 / x[0]; }, away);
  check_gradients([](const Inputs& x) { return -x[0]; }, any);
  check_gradients([](const Inputs& x) { return duel::pow(x[0], 3.0); }, any);
  check_gradients([](const Inputs& x) { return duel::pow(x[0], 2.0); }, any);
  check_gradients([](const Inputs& x) { return duel::pow(x[0], 1.0); }, any);
  check_gradients([](const Inputs& x) { return duel::pow(x[0], 0.0); }, any);
  check_gradients([](const Inputs& x) { return duel::pow(x[0], 0.5); }, positive);
  check_gradients([](const Inputs& x) { return duel::pow(x[0], -2.0); }, away);
}

TEST_CASE("pow: 0^b has a zero (not NaN) gradient with respect to b, as in PyTorch") {
  Var<double> a = var_of<double>({0, 2, 0}, {3}), b = var_of<double>({2, 3, 0}, {3});
  check_close(duel::pow(a, b), {0, 8, 1});
  duel::sum(duel::pow(a, b)).backward();
  check_close(a.grad(), {0, 12, 0});  // b a^(b-1)
  check_close(b.grad(), {0, 8 * std::log(2.0), 0});  // a^b log a, taken as 0 at a = 0
}
