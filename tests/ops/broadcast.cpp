#include "duel/ops/broadcast.hpp"

#include <doctest/doctest.h>

#include "duel/ops/arithmetic.hpp"
#include "test_util.hpp"

using duel::Shape;
using duel::Var;
using namespace duel::test;

TEST_CASE("broadcast_to and sum_to on Vars: values, and the same shape returns the same Var") {
  Var<double> x = var_of<double>({1, 2, 3}, {3, 1});
  Var<double> b = duel::broadcast_to(x, {2, 3, 2});
  CHECK(b.shape() == Shape{2, 3, 2});
  check_close(b, {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  check_close(duel::sum_to(b, {3, 1}), {2 * 2, 2 * 4, 2 * 6});
  check_close(duel::sum_to(b, {}), {24});
  check_close(duel::sum_to(b, {2}), {12, 12});
  CHECK(duel::broadcast_to(x, {3, 1}).node() == x.node());
  CHECK(duel::sum_to(x, {3, 1}).node() == x.node());
  CHECK_THROWS_WITH_AS(duel::broadcast_to(x, {1, 4}), "broadcast_to: cannot broadcast [3,1] to [1,4]", duel::ShapeError);
  CHECK(duel::sum_to(b, {2, 1, 2}).shape() == Shape{2, 1, 2});
  CHECK_THROWS_WITH_AS(duel::sum_to(b, {1, 2, 3, 2}), "sum_to: [2,3,2] does not broadcast from [1,2,3,2]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::sum_to(b, {3, 2, 2}), "sum_to: shapes [2,3,2] and [3,2,2] cannot be broadcast (dim 0: 2 vs 3)",
                       duel::ShapeError);
}

TEST_CASE("broadcast_to and sum_to: hand-computed gradients, each the other's adjoint") {
  Var<double> x = var_of<double>({1, 2}, {2});
  Var<double> w = var_of<double>({1, 2, 3, 4, 5, 6}, {3, 2}, false);
  duel::sum_to(duel::broadcast_to(x, {3, 2}) * w, {}).backward();
  check_close(x.grad(), {9, 12});  // column sums of w
}

TEST_CASE("broadcast_to and sum_to: gradcheck and gradgradcheck") {
  duel::Generator gen(31);
  for (const auto& shapes : std::vector<std::pair<Shape, Shape>>{{{3, 1}, {2, 3, 4}}, {{}, {2, 2}}, {{5}, {3, 5}}, {{1, 1}, {1, 1}}}) {
    const Shape source = shapes.first, target = shapes.second;
    CAPTURE(source);
    CAPTURE(target);
    check_gradients([target](const Inputs& v) { return duel::broadcast_to(v[0], target); },
                    {rand_var(source, gen)});
    check_gradients([source](const Inputs& v) { return duel::sum_to(v[0] * v[0], source); }, {rand_var(target, gen)});
  }
}
