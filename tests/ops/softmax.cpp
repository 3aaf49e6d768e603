#include "duel/ops/softmax.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "test_util.hpp"

using duel::Shape;
using duel::Tensor;
using duel::Var;
using namespace duel::test;

namespace {

// log_softmax of one row by the formula, in long double.
std::vector<double> log_softmax_row(const std::vector<double>& row) {
  long double s = 0;
  for (double x : row) s += std::exp(static_cast<long double>(x));
  std::vector<double> out;
  for (double x : row) out.push_back(static_cast<double>(x - std::log(s)));
  return out;
}

template <class T>
bool all_finite(const Tensor<T>& t) {
  return std::all_of(t.begin(), t.end(), [](T x) { return std::isfinite(x); });
}

}  // namespace

TEST_CASE("log_softmax and softmax: hand-computed values along the last dim") {
  Var<double> x = var_of<double>({1, 2, 3, 0, 0, 0}, {2, 3});
  std::vector<double> expected = log_softmax_row({1, 2, 3});
  for (double v : log_softmax_row({0, 0, 0})) expected.push_back(v);
  check_close(duel::log_softmax(x), expected, 1e-14);
  check_close(duel::softmax(x), {std::exp(expected[0]), std::exp(expected[1]), std::exp(expected[2]), 1.0 / 3, 1.0 / 3, 1.0 / 3}, 1e-14);
  check_close(duel::log_softmax(var_of<double>({5}, {1})), {0});
}

TEST_CASE("log_softmax: along dim 0 and a middle dim; rows exp-sum to 1") {
  duel::Generator gen(91);
  Var<double> x = rand_var({3, 4, 2}, gen, -5, 5);
  for (int dim : {0, 1, 2, -1}) {
    CAPTURE(dim);
    Var<double> sums = duel::sum(duel::exp(duel::log_softmax(x, dim)), {dim});
    check_close(sums.value(), duel::ones_like(sums.value()), 1e-14);
  }
  Var<double> m = var_of<double>({1, 0, 2, 0, 3, 0}, {3, 2});
  Var<double> by_column = duel::log_softmax(m, 0);
  const std::vector<double> first = log_softmax_row({1, 2, 3}), second = log_softmax_row({0, 0, 0});
  check_close(by_column, {first[0], second[0], first[1], second[1], first[2], second[2]}, 1e-14);
  CHECK_THROWS_WITH_AS(duel::log_softmax(m, 2), "log_softmax: dim 2 is out of range for shape [3,2]", duel::ShapeError);
}

TEST_CASE("log_softmax: stable at +-100 in float and +-1e4 in double, with finite gradients") {
  Var<float> f = var_of<float>({-100, 0, 100, 100}, {2, 2});
  Var<float> lf = duel::log_softmax(f);
  check_close(lf.value(), duel::from_vector<float>({-100, 0, -std::log(2.0f), -std::log(2.0f)}, {2, 2}), 1e-6, 1e-6);
  duel::sum(lf * var_of<float>({1, 2, 3, 4}, {2, 2}, false)).backward();
  CHECK(all_finite(f.grad().value()));
  check_close(f.grad().value(), duel::from_vector<float>({1, 2 - 3, 3 - 3.5f, 4 - 3.5f}, {2, 2}), 1e-5, 1e-5);  // g - softmax sum(g)

  Var<double> d = var_of<double>({-1e4, 1e4, 0, 1e4, -1e4, -1e4}, {2, 3});
  Var<double> ld = duel::log_softmax(d);
  check_close(ld, {-2e4, 0, -1e4, 0, -2e4, -2e4}, 1e-14);
  Var<double> sd = duel::softmax(d);
  check_close(sd, {0, 1, 0, 1, 0, 0});
  duel::sum(sd * var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3}, false)).backward();
  CHECK(all_finite(d.grad().value()));
  check_close(d.grad(), {0, 0, 0, 0, 0, 0});  // saturated: softmax is flat there
}

TEST_CASE("log_softmax and softmax: gradcheck and gradgradcheck along each dim") {
  duel::Generator gen(92);
  const Inputs x{rand_var({2, 3, 2}, gen, -2, 2)};
  for (int dim : {0, 1, -1}) {
    CAPTURE(dim);
    check_gradients([dim](const Inputs& v) { return duel::log_softmax(v[0], dim); }, x);
    check_gradients([dim](const Inputs& v) { return duel::softmax(v[0], dim); }, x);
  }
}
