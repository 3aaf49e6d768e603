#include "duel/ops/batch_norm.hpp"

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "test_util.hpp"

using duel::Tensor;
using duel::Var;
using duel::test::rand_var;
namespace fx = duel::fixtures;

// The gradients reduce over every value of a channel: float gets the long-reduction tolerance.
TEST_CASE_TEMPLATE("batch_norm matches PyTorch on every fixture case, running statistics included", T, float, double) {
  fx::for_each_case("batch_norm", [](const fx::Case& c) {
    Tensor<T> running_mean = c.tensor<T>("running_mean"), running_var = c.tensor<T>("running_var");
    fx::check_op<T>(
        c, {"x", "weight", "bias"},
        [&](const fx::Inputs<T>& in) {
          return duel::batch_norm(in["x"], running_mean, running_var, in["weight"], in["bias"], c.flag("training"),
                                  c.number("momentum"), c.number("eps"));
        },
        fx::rtol<T>(true));
    // updated in place in training (with the unbiased variance), unchanged in evaluation
    fx::check_close(c.label<T>("running_mean_after"), running_mean, c.ref("running_mean_after"), fx::rtol<T>());
    fx::check_close(c.label<T>("running_var_after"), running_var, c.ref("running_var_after"), fx::rtol<T>());
  });
}

TEST_CASE_TEMPLATE("instance_norm matches PyTorch on every fixture case", T, float, double) {
  fx::for_each_case("instance_norm", [](const fx::Case& c) {
    fx::check_op<T>(
        c, {"x", "weight", "bias"},
        [&](const fx::Inputs<T>& in) { return duel::instance_norm(in["x"], in["weight"], in["bias"], c.number("eps")); },
        fx::rtol<T>(true));
  });
}

// Second derivatives run through the op-by-op definition (batch_norm_composite), first ones
// through the fused kernel: gradgradcheck checks that both agree with finite differences.
TEST_CASE("batch_norm: gradcheck and gradgradcheck in training mode on [N, C] and [N, C, H, W]") {
  const duel::test::ThreadCountGuard threads;
  duel::set_num_threads(1);  // thousands of tiny ops: waking threads for each costs far more than the work
  duel::Generator gen(401);
  for (const duel::Shape& shape : {duel::Shape{4, 3}, duel::Shape{2, 2, 3, 2}}) {
    for (bool affine : {true, false}) {
      INFO("input ", shape, " affine ", affine);
      std::vector<Var<double>> in{rand_var(shape, gen)};
      if (affine) in.insert(in.end(), {rand_var({shape[1]}, gen, 0.5, 1.5), rand_var({shape[1]}, gen)});
      Tensor<double> running_mean = duel::zeros<double>({shape[1]}), running_var = duel::ones<double>({shape[1]});
      duel::test::check_gradients(
          [&](const std::vector<Var<double>>& v) {
            return duel::batch_norm(v[0], running_mean, running_var, affine ? v[1] : Var<double>(),
                                    affine ? v[2] : Var<double>(), true);
          },
          in);
    }
  }
}

TEST_CASE("batch_norm: gradcheck and gradgradcheck in evaluation mode") {
  const duel::test::ThreadCountGuard threads;
  duel::set_num_threads(1);  // thousands of tiny ops: waking threads for each costs far more than the work
  duel::Generator gen(402);
  const Tensor<double> running_mean = duel::test::random_integers({2}, gen), running_var = duel::full<double>({2}, 0.7);
  duel::test::check_gradients(
      [&](const std::vector<Var<double>>& v) { return duel::batch_norm(v[0], running_mean, running_var, v[1], v[2], false); },
      {rand_var({3, 2, 2, 2}, gen), rand_var({2}, gen), rand_var({2}, gen)});
  duel::test::check_gradients(
      [&](const std::vector<Var<double>>& v) { return duel::batch_norm(v[0], running_mean, running_var, {}, {}, false); },
      {rand_var({3, 2}, gen)});
}

TEST_CASE("instance_norm: gradcheck and gradgradcheck, with and without affine") {
  const duel::test::ThreadCountGuard threads;
  duel::set_num_threads(1);  // thousands of tiny ops: waking threads for each costs far more than the work
  duel::Generator gen(403);
  const Var<double> x = rand_var({2, 2, 3, 3}, gen);
  duel::test::check_gradients([](const auto& v) { return duel::instance_norm(v[0], v[1], v[2]); },
                              {x, rand_var({2}, gen, 0.5, 1.5), rand_var({2}, gen)});
  duel::test::check_gradients([](const auto& v) { return duel::instance_norm(v[0]); }, {x});
}

TEST_CASE("batch_norm and instance_norm: bad inputs say what is wrong") {
  const Var<double> x(duel::zeros<double>({1, 3}));
  CHECK_THROWS_WITH_AS(duel::batch_norm(x, Tensor<double>(), Tensor<double>()),
                       "batch_norm: expected more than 1 value per channel when training, got input [1,3]", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::batch_norm(x, Tensor<double>(), Tensor<double>(), {}, {}, false),
                       "batch_norm: evaluation mode needs running_mean and running_var", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::batch_norm(x, duel::zeros<double>({2}), duel::ones<double>({2})),
                       "batch_norm: running statistics [2] for input [1,3] with 3 channels", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::batch_norm(x, Tensor<double>(), Tensor<double>(), Var<double>(duel::ones<double>({4}))),
                       "batch_norm: weight/bias [4] for input [1,3] with 3 channels", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::batch_norm(Var<double>(duel::zeros<double>({3})), Tensor<double>(), Tensor<double>()),
                       "batch_norm: input must be [N, C, ...], got [3]",
                       duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::instance_norm(x), "instance_norm: input must be [N, C, H, W] or [N, C, L], got [1,3]",
                       duel::ShapeError);
}

// The fused kernels run over blocks of whole channels, as many as the threads (and more for large
// inputs): shapes of several blocks must give the same numbers at any thread count, and the
// numbers of the op-by-op definition.
TEST_CASE("batch_norm: blocks of channels change nothing, whatever the thread count") {
  const duel::test::ThreadCountGuard threads;
  duel::Generator gen(402);
  for (const duel::Shape& shape : {duel::Shape{6, 50, 9, 9}, duel::Shape{5, 3000}, duel::Shape{3, 7, 1000}}) {
    INFO("input ", shape);
    const Var<double> x = rand_var(shape, gen), weight = rand_var({shape[1]}, gen, 0.5, 1.5), bias = rand_var({shape[1]}, gen);
    const Var<double> g = rand_var(shape, gen, -1, 1, false);
    std::vector<std::vector<double>> results;
    for (int n : {1, 2, 3}) {
      duel::set_num_threads(n);
      Tensor<double> running_mean = duel::zeros<double>({shape[1]}), running_var = duel::ones<double>({shape[1]});
      const Var<double> y = duel::batch_norm(x, running_mean, running_var, weight, bias, true);
      std::vector<double> all(y.value().begin(), y.value().end());
      for (const Var<double>& d : duel::grad<double>({y}, {x, weight, bias}, {g})) all.insert(all.end(), d.value().begin(), d.value().end());
      for (const Tensor<double>* t : {&running_mean, &running_var}) all.insert(all.end(), t->begin(), t->end());
      results.push_back(std::move(all));
    }
    CHECK(results[0] == results[1]);
    CHECK(results[0] == results[2]);
    duel::set_num_threads(1);
    const Var<double> reference = duel::detail::batch_norm_composite(x, weight, bias, 1e-5);
    std::vector<double> expected(reference.value().begin(), reference.value().end());
    for (const Var<double>& d : duel::grad<double>({reference}, {x, weight, bias}, {g})) expected.insert(expected.end(), d.value().begin(), d.value().end());
    double worst = 0;
    for (std::size_t k = 0; k < expected.size(); ++k) worst = std::max(worst, std::abs(expected[k] - results[0][k]));
    CHECK(worst < 1e-9);
  }
}
