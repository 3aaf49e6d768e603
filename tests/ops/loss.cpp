#include "duel/ops/loss.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "fixtures.hpp"
#include "test_util.hpp"

using duel::Reduction;
using duel::Tensor;
using duel::Var;
using duel::test::rand_var;
namespace fx = duel::fixtures;

namespace {

Reduction reduction_of(const std::string& name) {
  if (name == "mean") return Reduction::mean;
  if (name == "sum") return Reduction::sum;
  REQUIRE(name == "none");
  return Reduction::none;
}

const Reduction all_reductions[] = {Reduction::mean, Reduction::sum, Reduction::none};

}  // namespace

// BCE cases hold logits of +-100 and +-30 with every target, and smoothed targets 0.9f / 0.1f.
TEST_CASE_TEMPLATE("binary_cross_entropy_with_logits, mse_loss and cross_entropy match PyTorch on every fixture case", T,
                   float, double) {
  fx::for_each_case("losses", [](const fx::Case& c) {
    const std::string fn = c.str("fn");
    const Reduction r = reduction_of(c.str("reduction"));
    if (fn == "cross_entropy") {
      const Tensor<std::int64_t> target = c.tensor<std::int64_t>("target");
      fx::check_op<T>(c, {"x"}, [&](const fx::Inputs<T>& in) { return duel::cross_entropy(in["x"], target, r); });
    } else if (fn == "mse_loss") {
      fx::check_op<T>(c, {"x", "target"}, [&](const fx::Inputs<T>& in) { return duel::mse_loss(in["x"], in["target"], r); });
    } else {
      REQUIRE(fn == "binary_cross_entropy_with_logits");
      fx::check_op<T>(c, {"x", "target"}, [&](const fx::Inputs<T>& in) {
        return duel::binary_cross_entropy_with_logits(in["x"], in["target"], r);
      });
    }
  });
}

TEST_CASE("losses: gradcheck and gradgradcheck for every loss and reduction") {
  duel::Generator gen(701);
  const Var<double> logits = rand_var({3, 4}, gen, -3, 3), probs = rand_var({3, 4}, gen, 0, 1);
  const Tensor<std::int64_t> classes = duel::from_vector<std::int64_t>({3, 0, 2});
  // scores with |1 -+ s| >= 0.2, away from the hinge's kink
  const Var<double> scores = duel::test::var_of<double>({-2.5, -1.3, -0.6, 0.1, 0.7, 1.4, 2.2, -0.2}, {8});
  for (Reduction r : all_reductions) {
    INFO("reduction ", static_cast<int>(r));
    duel::test::check_gradients([r](const auto& v) { return duel::binary_cross_entropy_with_logits(v[0], v[1], r); },
                                {logits, probs});
    duel::test::check_gradients([r](const auto& v) { return duel::binary_cross_entropy_with_logits(v[0], 0.9, r); },
                                {logits});
    duel::test::check_gradients([r](const auto& v) { return duel::mse_loss(v[0], v[1], r); }, {logits, probs});
    duel::test::check_gradients([&](const auto& v) { return duel::cross_entropy(v[0], classes, r); }, {logits});
    duel::test::check_gradients([&](const auto& v) { return duel::nll_loss(v[0], classes, r); }, {logits});
    duel::test::check_gradients([r](const auto& v) { return duel::hinge_loss(v[0], 1.0, r); }, {scores});
    duel::test::check_gradients([r](const auto& v) { return duel::hinge_loss(v[0], -1.0, r); }, {scores});
  }
}

// softplus passes x > 20 through unchanged, dropping log1p(exp(-x)) <= 2e-9; PyTorch's loss keeps
// it, so a confident right answer still has a (tiny) loss and gradient. Both compute it after a
// cancellation (25 + 1.4e-11 - 25, or log(1 + 1.4e-11)), which keeps about 5 digits.
TEST_CASE("binary_cross_entropy_with_logits: exact above softplus's threshold, as PyTorch's") {
  Var<double> x = duel::test::var_of<double>({25, -25}, {2});
  const Var<double> t = duel::test::var_of<double>({1, 0}, {2}, false);
  Var<double> loss = duel::binary_cross_entropy_with_logits(x, t, Reduction::none);
  loss.backward(Var<double>(duel::ones<double>({2})));
  const double tail = std::log1p(std::exp(-25.0)), g = 1 / (1 + std::exp(25.0));
  duel::test::check_close(loss, {tail, tail}, 1e-4, 0);
  duel::test::check_close(x.grad(), {-g, g}, 1e-4, 0);
}

TEST_CASE("losses: reductions are the mean, the sum, or one loss per element") {
  const Var<double> x = duel::test::var_of<double>({1, 2, 3, 4}, {2, 2}), t(duel::zeros<double>({2, 2}));
  CHECK(duel::mse_loss(x, t).item() == doctest::Approx(7.5));
  CHECK(duel::mse_loss(x, t, Reduction::sum).item() == doctest::Approx(30));
  duel::test::check_close(duel::mse_loss(x, t, Reduction::none), {1, 4, 9, 16});
  duel::test::check_close(duel::hinge_loss(duel::test::var_of<double>({2, 0.5, -1}, {3}), 1.0, Reduction::none), {0, 0.5, 2});
}

TEST_CASE("losses: mismatched shapes and bad targets say what is wrong") {
  const Var<double> x(duel::zeros<double>({4, 3}));
  CHECK_THROWS_WITH_AS(duel::binary_cross_entropy_with_logits(x, Var<double>(duel::zeros<double>({3, 4}))),
                       "binary_cross_entropy_with_logits: input [4,3] and target [3,4] differ", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::mse_loss(x, Var<double>(duel::zeros<double>({4}))), "mse_loss: input [4,3] and target [4] differ",
                       duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::nll_loss(x, duel::from_vector<std::int64_t>({0, 1, 3, 2})),
                       "nll_loss: target 3 is out of range for 3 classes", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::cross_entropy(x, duel::from_vector<std::int64_t>({0, -100, 1, 2})),
                       "nll_loss: target -100 is out of range for 3 classes", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::cross_entropy(x, duel::from_vector<std::int64_t>({0, 1, 2})),
                       "nll_loss: expects log-probabilities [N, C] and targets [N], got [4,3] and [3]", duel::ShapeError);
}
