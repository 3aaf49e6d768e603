#include "duel/ops/shape.hpp"

#include <doctest/doctest.h>

#include "duel/ops/arithmetic.hpp"
#include "test_util.hpp"

using duel::Shape;
using duel::Var;
using namespace duel::test;

TEST_CASE("reshape: a view with -1 inferred, the same Var for the same shape") {
  Var<double> x(counting<double>({2, 3, 4}), true);
  Var<double> r = duel::reshape(x, {-1, 4});
  CHECK(r.shape() == Shape{6, 4});
  CHECK(r.value().shares_storage_with(x.value()));
  CHECK(duel::reshape(x, {4, -1}).shape() == Shape{4, 6});
  CHECK(duel::reshape(x, Shape{24}).shape() == Shape{24});
  CHECK(duel::reshape(x, {2, 3, 4}).node() == x.node());
  CHECK_THROWS_WITH_AS(duel::reshape(x, {5, -1}), "reshape: cannot infer -1 when viewing [2,3,4] with [5,-1]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::reshape(x, {5, 5}), "reshape: cannot view [2,3,4] (24 elements) as [5,5] (25 elements)",
                       duel::ShapeError);
}

TEST_CASE("flatten and unflatten") {
  Var<double> x(counting<double>({2, 3, 4, 5}), true);
  CHECK(duel::flatten(x).shape() == Shape{120});
  CHECK(duel::flatten(x, 1).shape() == Shape{2, 60});
  CHECK(duel::flatten(x, 1, 2).shape() == Shape{2, 12, 5});
  CHECK(duel::flatten(x, -2, -1).shape() == Shape{2, 3, 20});
  CHECK(duel::flatten(x, 2, 2).shape() == Shape{2, 3, 4, 5});
  CHECK(duel::flatten(var_of<double>({7}, {})).shape() == Shape{1});
  CHECK_THROWS_WITH_AS(duel::flatten(x, 2, 1), "flatten: start_dim 2 comes after end_dim 1 for [2,3,4,5]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::flatten(x, 4), "flatten: dim 4 is out of range for shape [2,3,4,5]", duel::ShapeError);

  Var<double> f(counting<double>({2, 12}), true);
  CHECK(duel::unflatten(f, 1, {3, 4}).shape() == Shape{2, 3, 4});
  CHECK(duel::unflatten(f, -1, {2, 2, 3}).shape() == Shape{2, 2, 2, 3});
  CHECK(duel::unflatten(f, 0, {1, 2}).shape() == Shape{1, 2, 12});
  check_close(duel::unflatten(f, 1, {3, 4}), std::vector<double>(f.value().begin(), f.value().end()));
  CHECK_THROWS_WITH_AS(duel::unflatten(f, 1, {5, 2}), "unflatten: sizes with product 10 do not split dim 1 of [2,12]",
                       duel::ShapeError);
}

TEST_CASE("permute and transpose: values, and errors naming the shape") {
  Var<double> x(counting<double>({2, 3, 4}), true);
  Var<double> p = duel::permute(x, {2, 0, 1});
  CHECK(p.shape() == Shape{4, 2, 3});
  bool all_match = true;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 4; ++k) all_match = all_match && p.value()(k, i, j) == x.value()(i, j, k);
    }
  }
  CHECK(all_match);
  Var<double> m = var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  check_close(duel::transpose(m), {1, 4, 2, 5, 3, 6});
  CHECK(duel::transpose(m).shape() == Shape{3, 2});
  const Var<double> reversed = duel::permute(x, {2, 1, 0});
  check_close(duel::transpose(x, -1, 0), std::vector<double>(reversed.value().begin(), reversed.value().end()));
  check_close(duel::permute(var_of<double>({5}, {}), {}), {5});
  CHECK(duel::permute(var_of<double>({}, {0, 2}), {1, 0}).shape() == Shape{2, 0});
  CHECK_THROWS_WITH_AS(duel::permute(x, {0, 1}), "permute: 2 dims given for a tensor of shape [2,3,4]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::permute(x, {0, 1, -3}), "permute: dim 0 repeated for [2,3,4]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::permute(x, {0, 1, 3}), "permute: dim 3 is out of range for shape [2,3,4]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::transpose(x, 0, 5), "transpose: dim 5 is out of range for shape [2,3,4]", duel::ShapeError);
}

TEST_CASE("reshape, flatten, unflatten, permute, transpose: gradcheck and gradgradcheck") {
  duel::Generator gen(61);
  const Inputs x{rand_var({2, 3, 2}, gen)};
  const Var<double> w = rand_var({3, 2, 2}, gen, -1, 1, false);  // weights make every output element distinct
  check_gradients([](const Inputs& v) { return duel::reshape(v[0] * v[0], {-1, 4}); }, x);
  check_gradients([](const Inputs& v) { return duel::flatten(v[0] * v[0], 1); }, x);
  check_gradients([](const Inputs& v) { return duel::unflatten(duel::flatten(v[0] * v[0]), 0, {3, 4}); }, x);
  check_gradients([w](const Inputs& v) { return duel::permute(v[0] * v[0], {1, 2, 0}) * w; }, x);
  check_gradients([](const Inputs& v) { return duel::transpose(v[0] * v[0], 0, 2); }, x);
}
