#include "duel/ops/slice.hpp"

#include <doctest/doctest.h>

#include "duel/ops/arithmetic.hpp"
#include "duel/ops/reduce.hpp"
#include "test_util.hpp"

using duel::Shape;
using duel::Var;
using namespace duel::test;

TEST_CASE("slice: Python's start:end:step with negative indices, steps and clipping") {
  Var<double> v = var_of<double>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {10});
  check_close(duel::slice(v, 0, 2, 5), {2, 3, 4});
  check_close(duel::slice(v, 0, -3, 10), {7, 8, 9});
  check_close(duel::slice(v, 0, 1, -1, 3), {1, 4, 7});
  check_close(duel::slice(v, 0, 0, 10, 4), {0, 4, 8});
  check_close(duel::slice(v, -1, -100, 100, 5), {0, 5});  // bounds clipped into [0, 10]
  CHECK(duel::slice(v, 0, 7, 3).shape() == Shape{0});     // an empty range
  CHECK(duel::slice(v, 0, 20, 30).shape() == Shape{0});
  CHECK_THROWS_WITH_AS(duel::slice(v, 0, 0, 5, 0), "slice: step must be positive, got 0", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::slice(v, 1, 0, 5), "slice: dim 1 is out of range for shape [10]", duel::ShapeError);

  Var<double> m = var_of<double>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  Var<double> cols = duel::slice(m, 1, 1, 4, 2);
  CHECK(cols.shape() == Shape{3, 2});
  check_close(cols, {1, 3, 5, 7, 9, 11});
  check_close(duel::slice(m, -2, 1, 3), {4, 5, 6, 7, 8, 9, 10, 11});
}

TEST_CASE("slice: the gradient scatters back into place, zeros elsewhere") {
  Var<double> m = var_of<double>({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  duel::sum(duel::slice(m, 1, -3, 4, 2) * var_of<double>({1, 2, 3, 4, 5, 6}, {3, 2}, false)).backward();
  check_close(m.grad(), {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6});
  m.zero_grad();
  duel::sum(duel::slice(m, 0, 5, 9)).backward();  // an empty slice: every gradient is zero
  check_close(m.grad(), std::vector<double>(12, 0.0));
}

TEST_CASE("cat: several inputs along dim 0, 1 and -1") {
  Var<double> a = var_of<double>({1, 2, 3, 4}, {2, 2}), b = var_of<double>({5, 6}, {2, 1}), c = var_of<double>({7, 8, 9, 10, 11, 12}, {2, 3});
  Var<double> row = duel::cat<double>({a, b, c}, 1);
  CHECK(row.shape() == Shape{2, 6});
  check_close(row, {1, 2, 5, 7, 8, 9, 3, 4, 6, 10, 11, 12});
  check_close(duel::cat<double>({a, b, c}, -1), std::vector<double>(row.value().begin(), row.value().end()));
  Var<double> col = duel::cat<double>({a, var_of<double>({0, 0}, {1, 2}), a}, 0);
  CHECK(col.shape() == Shape{5, 2});
  check_close(col, {1, 2, 3, 4, 0, 0, 1, 2, 3, 4});
  check_close(duel::cat<double>({a}), {1, 2, 3, 4});
  check_close(duel::cat<double>({a, var_of<double>({}, {2, 0}), b}, 1), {1, 2, 5, 3, 4, 6});

  duel::sum(row * var_of<double>({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 6}, false)).backward();
  check_close(a.grad(), {1, 2, 7, 8});
  check_close(b.grad(), {3, 9});
  check_close(c.grad(), {4, 5, 6, 10, 11, 12});
}

TEST_CASE("cat: errors name both shapes") {
  Var<double> a = var_of<double>({1, 2, 3, 4}, {2, 2});
  CHECK_THROWS_WITH_AS(duel::cat<double>({a, var_of<double>({1, 2, 3}, {3, 1})}, 1), "cat: [3,1] and [2,2] differ outside dim 1",
                       duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::cat<double>({a, var_of<double>({1, 2}, {2})}, 0), "cat: [2] and [2,2] differ in rank", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::cat<double>({a, a}, 2), "cat: dim 2 is out of range for shape [2,2]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::cat<double>({}), "cat: no tensors to join", duel::ValueError);
}

TEST_CASE("slice and cat: gradcheck and gradgradcheck") {
  duel::Generator gen(71);
  const Inputs x{rand_var({3, 5}, gen)};
  check_gradients([](const Inputs& v) { return duel::slice(v[0] * v[0], 1, -4, 5, 2); }, x);
  check_gradients([](const Inputs& v) { return duel::slice(v[0] * v[0], 0, 1, 100); }, x);
  check_gradients([](const Inputs& v) { return duel::slice(duel::slice(v[0] * v[0], 1, 0, 5, 3), 0, -2, 3); }, x);
  const Inputs three{rand_var({2, 2}, gen), rand_var({2, 1}, gen), rand_var({2, 3}, gen)};
  check_gradients([](const Inputs& v) { return duel::cat<double>({v[0] * v[0], v[1], v[2] * v[2]}, 1); }, three);
  check_gradients([](const Inputs& v) { return duel::cat<double>({v[0] * v[0], v[0]}, 0); }, {three[1]});
}
