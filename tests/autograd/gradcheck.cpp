#include "duel/autograd/gradcheck.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <string>

#include "duel/ops/activation.hpp"
#include "duel/ops/arithmetic.hpp"
#include "duel/ops/reduce.hpp"
#include "test_util.hpp"

using duel::Tensor;
using duel::Var;
using namespace duel::test;

namespace {

using Backward = duel::BackwardFn<double>;

// x^2 elementwise, recorded with the backward given: the op under test in the checks below.
Var<double> square_with(const Var<double>& x, Backward backward) {
  Tensor<double> y = x.value().clone();
  y.as_array() *= x.value().as_array();
  return duel::record<double>("square", std::move(y), {x}, std::move(backward));
}

// The right backward, 2 x g, written with ops so that it can be differentiated again.
Var<double> square(const Var<double>& x) {
  return square_with(x, [x](const duel::BackwardContext<double>& ctx) -> duel::GradList<double> { return {ctx.grad * x * 2.0}; });
}

// Twice the right gradient.
Var<double> square_wrong(const Var<double>& x) {
  return square_with(x, [x](const duel::BackwardContext<double>& ctx) -> duel::GradList<double> { return {ctx.grad * x * 4.0}; });
}

// The right values, but through a constant copy of x: correct first derivatives, while the
// derivative of the backward with respect to x is lost.
Var<double> square_detached(const Var<double>& x) {
  return square_with(x, [x](const duel::BackwardContext<double>& ctx) -> duel::GradList<double> {
    return {ctx.grad * x.detach() * 2.0};
  });
}

Var<double> first(const std::vector<Var<double>>& xs) { return xs[0]; }

}  // namespace

TEST_CASE("gradcheck and gradgradcheck pass for a correct op") {
  duel::Generator gen(8);
  Var<double> x = rand_var({2, 3}, gen);
  check_gradients([](const auto& xs) { return square(xs[0]); }, {x});
  duel::GradcheckResult r = duel::gradcheck([](const auto& xs) { return duel::sum(square(xs[0]) * xs[1]); },
                                            {x, rand_var({3}, gen)});
  CHECK(r);
  CHECK(r.worst_ratio <= 1);
  CHECK(r.report.rfind("gradcheck passed", 0) == 0);
}

TEST_CASE("gradcheck fails for a backward that is off by a factor 2, naming the worst element") {
  Var<double> x = var_of<double>({0.1, 0.5, -2.0, 1.0}, {2, 2});
  duel::GradcheckResult r = duel::gradcheck([](const auto& xs) { return square_wrong(xs[0]); }, {x});
  CHECK_FALSE(r);
  CHECK(r.worst_ratio > 100);  // |4x - 2x| / (1e-5 + 1e-3 |2x|) ~ 1000 at x = -2
  INFO(r.report);
  CHECK(r.report.rfind("gradcheck FAILED", 0) == 0);
  CHECK(r.report.find("input 0 element [1,0], output element 2: analytical -8 vs numerical -4") != std::string::npos);
}

TEST_CASE("gradgradcheck fails for a backward that is right but not differentiable") {
  Var<double> x = var_of<double>({0.3, -1.5, 0.8}, {3});
  auto f = [](const auto& xs) { return square_detached(xs[0]); };
  CHECK(duel::gradcheck(f, {x}));  // the first derivatives are right
  duel::GradcheckResult r = duel::gradgradcheck(f, {x});
  CHECK_FALSE(r);
  INFO(r.report);
  CHECK(r.report.rfind("gradgradcheck FAILED", 0) == 0);
  CHECK(r.report.find("input 0 element [") != std::string::npos);  // x, not v: the lost term is d/dx
  CHECK(r.report.find("analytical 0 vs numerical") != std::string::npos);
}

TEST_CASE("gradcheck: NaN gradients fail, constant inputs are skipped, no differentiable input is an error") {
  Var<double> x = var_of<double>({1, 2}, {2});
  auto nan_grad = [](const auto& xs) {
    return duel::record<double>("nan", xs[0].value().clone(), {xs[0]}, [](const duel::BackwardContext<double>& ctx) -> duel::GradList<double> {
      return {ctx.grad * std::numeric_limits<double>::quiet_NaN()};
    });
  };
  duel::GradcheckResult r = duel::gradcheck(nan_grad, {x});
  CHECK_FALSE(r);
  CHECK(r.worst_ratio == std::numeric_limits<double>::infinity());

  Var<double> c = var_of<double>({3, 4}, {2}, false);
  CHECK(duel::gradcheck([](const auto& xs) { return xs[0] * xs[1]; }, {x, c}));
  CHECK(duel::gradcheck([](const auto& xs) { return xs[1] * 2.0; }, {x, c}));  // an output that is constant in x
  CHECK_THROWS_WITH_AS(duel::gradcheck(first, {c}), "gradcheck: no input requires grad", duel::ValueError);
}
