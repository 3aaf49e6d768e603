#include "duel/ops/matmul.hpp"

#include <doctest/doctest.h>

#include "duel/ops/reduce.hpp"
#include "fixtures.hpp"
#include "test_util.hpp"

using duel::Shape;
using duel::Var;
using namespace duel::test;

TEST_CASE("matmul: hand-computed products, including empty inner and outer dims") {
  Var<double> a = var_of<double>({1, 2, 3, 4}, {2, 2}), b = var_of<double>({5, 6, 7, 8}, {2, 2});
  check_close(duel::matmul(a, b), {19, 22, 43, 50});
  Var<double> r = var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3}), c = var_of<double>({1, 0, -1}, {3, 1});
  check_close(duel::matmul(r, c), {-2, -2});
  CHECK(duel::matmul(r, c).shape() == Shape{2, 1});

  Var<double> no_inner = duel::matmul(var_of<double>({}, {2, 0}), var_of<double>({}, {0, 3}));
  CHECK(no_inner.shape() == Shape{2, 3});
  check_close(no_inner, std::vector<double>(6, 0.0));  // an empty sum is 0
  CHECK(duel::matmul(var_of<double>({}, {0, 3}), c).shape() == Shape{0, 1});
}

TEST_CASE("matmul: errors give both shapes and the clashing inner dimensions") {
  Var<float> a(duel::zeros({64, 100})), b(duel::zeros({128, 784}));
  CHECK_THROWS_WITH_AS(duel::matmul(a, b), "matmul: [64,100] x [128,784]: inner dimensions 100 and 128 differ", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::matmul(Var<float>(duel::zeros({3})), b), "matmul: expects 2-D operands, got [3] x [128,784]",
                       duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::detail::gemm(a, true, b, false), "matmul: [64,100]^T x [128,784]: inner dimensions 64 and 128 differ",
                       duel::ShapeError);
}

TEST_CASE("matmul: hand-computed gradients, dA = G B^T and dB = A^T G") {
  Var<double> a = var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3}), b = var_of<double>({1, 2, 3, 4, 5, 6}, {3, 2});
  duel::sum(duel::matmul(a, b)).backward();
  check_close(a.grad(), {3, 7, 11, 3, 7, 11});  // row sums of B, for every row of A
  check_close(b.grad(), {5, 5, 7, 7, 9, 9});    // column sums of A, for every column of B
}

TEST_CASE("matmul and gemm with transposes: gradcheck and gradgradcheck") {
  duel::Generator gen(81);
  check_gradients([](const Inputs& v) { return duel::matmul(v[0], v[1]); }, {rand_var({2, 3}, gen), rand_var({3, 4}, gen)});
  check_gradients([](const Inputs& v) { return duel::matmul(v[0], v[0]); }, {rand_var({3, 3}, gen)});
  for (bool ta : {false, true}) {
    for (bool tb : {false, true}) {
      CAPTURE(ta);
      CAPTURE(tb);
      Var<double> a = rand_var(ta ? Shape{3, 2} : Shape{2, 3}, gen), b = rand_var(tb ? Shape{4, 3} : Shape{3, 4}, gen);
      Var<double> expected = duel::matmul(ta ? duel::transpose(a) : a, tb ? duel::transpose(b) : b);
      check_close(duel::detail::gemm(a, ta, b, tb).value(), expected.value());
      check_gradients([ta, tb](const Inputs& v) { return duel::detail::gemm(v[0], ta, v[1], tb); }, {a, b});
    }
  }
}

TEST_CASE("linear: x W^T + b, with and without bias, for any leading dims") {
  Var<double> x = var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  Var<double> w = var_of<double>({1, 0, 0, 0, 1, 1, 1, -1, 2, 0, 0, 0}, {4, 3});
  Var<double> b = var_of<double>({10, 20, 30, 40}, {4});
  check_close(duel::linear(x, w, b), {11, 25, 35, 40, 14, 31, 41, 40});
  check_close(duel::linear(x, w), {1, 5, 5, 0, 4, 11, 11, 0});
  Var<double> batch = var_of<double>({1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}, {2, 2, 3});
  CHECK(duel::linear(batch, w, b).shape() == Shape{2, 2, 4});
  check_close(duel::linear(batch, w, b), {11, 25, 35, 40, 14, 31, 41, 40, 11, 25, 35, 40, 14, 31, 41, 40});
  CHECK(duel::linear(var_of<double>({1, 2, 3}, {3}), w, b).shape() == Shape{4});

  CHECK_THROWS_WITH_AS(duel::linear(Var<double>(duel::zeros<double>({2, 5})), w),
                       "linear: input [2,5] does not end in the 3 features that weight [4,3] expects", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::linear(x, w, var_of<double>({1, 2, 3}, {3})), "linear: bias [3] does not match weight [4,3]",
                       duel::ShapeError);
}

TEST_CASE("linear: gradcheck and gradgradcheck") {
  duel::Generator gen(82);
  const Inputs with_bias{rand_var({3, 2}, gen), rand_var({4, 2}, gen), rand_var({4}, gen)};
  check_gradients([](const Inputs& v) { return duel::linear(v[0], v[1], v[2]); }, with_bias);
  check_gradients([](const Inputs& v) { return duel::linear(v[0], v[1]); }, {with_bias[0], with_bias[1]});
  check_gradients([](const Inputs& v) { return duel::linear(v[0] * v[0], v[1], v[2]); }, {rand_var({2, 2, 2}, gen), with_bias[1], with_bias[2]});
}

// PyTorch reference values (tests/fixtures).
namespace fx = duel::fixtures;

TEST_CASE_TEMPLATE("linear matches PyTorch on every fixture case, leading batch dims included", T, float, double) {
  fx::for_each_case("linear", [](const fx::Case& c) {
    fx::check_op<T>(c, {"x", "weight", "bias"},
                    [](const fx::Inputs<T>& in) { return duel::linear(in["x"], in["weight"], in["bias"]); });
  });
}
