#include "duel/ops/reduce.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "test_util.hpp"

using duel::Shape;
using duel::Var;
using namespace duel::test;

TEST_CASE("sum and mean: over all, over dims, negative dims, keepdim") {
  Var<double> x = var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  check_close(duel::sum(x), {21});
  CHECK(duel::sum(x).shape() == Shape{});
  check_close(duel::sum(x, {0}), {5, 7, 9});
  check_close(duel::sum(x, {-1}, true), {6, 15});
  CHECK(duel::sum(x, {-1}, true).shape() == Shape{2, 1});
  check_close(duel::sum(x, {}, true), {21});
  CHECK(duel::sum(x, {}, true).shape() == Shape{1, 1});
  check_close(duel::mean(x), {3.5});
  check_close(duel::mean(x, {1}), {2, 5});
  check_close(duel::mean(x, {0}, true), {2.5, 3.5, 4.5});
  CHECK(duel::mean(x, {0}, true).shape() == Shape{1, 3});

  Var<double> t = var_of<double>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  check_close(duel::sum(t, {0, 2}), {1 + 2 + 5 + 6, 3 + 4 + 7 + 8});
  check_close(duel::mean(t, {-1, 0}), {3.5, 5.5});
  check_close(duel::sum(var_of<double>({4}, {})), {4});  // a scalar sums to itself
}

TEST_CASE("sum and mean: empty tensors and errors") {
  Var<double> empty = var_of<double>({}, {0, 3});
  check_close(duel::sum(empty), {0});
  check_close(duel::sum(empty, {0}), {0, 0, 0});
  CHECK(std::isnan(duel::mean(empty).item()));  // 0 / 0, as torch.mean
  Var<double> x = var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK_THROWS_WITH_AS(duel::sum(x, {2}), "sum: dim 2 is out of range for shape [2,3]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::sum(x, {0, -2}), "sum: dim -2 appears twice", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::mean(x, {-3}), "mean: dim -3 is out of range for shape [2,3]", duel::ShapeError);
}

TEST_CASE("sum and mean: hand-computed gradients") {
  Var<double> x = var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  duel::sum(duel::sum(x, {1}) * var_of<double>({1, 10}, {2}, false)).backward();
  check_close(x.grad(), {1, 1, 1, 10, 10, 10});
  x.zero_grad();
  duel::mean(x).backward();
  check_close(x.grad(), {1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6});
}

TEST_CASE("sum and mean: gradcheck and gradgradcheck") {
  duel::Generator gen(51);
  const Inputs x{rand_var({2, 3, 2}, gen)};
  check_gradients([](const Inputs& v) { return duel::sum(v[0]); }, x);
  check_gradients([](const Inputs& v) { return duel::sum(v[0], {1}); }, x);
  check_gradients([](const Inputs& v) { return duel::sum(v[0] * v[0], {0, -1}, true); }, x);
  check_gradients([](const Inputs& v) { return duel::mean(v[0]); }, x);
  check_gradients([](const Inputs& v) { return duel::mean(v[0] * v[0], {2}, true); }, x);
  check_gradients([](const Inputs& v) { return duel::mean(v[0], {0, 1}); }, x);
}
