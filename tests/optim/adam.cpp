#include "duel/optim/adam.hpp"

#include <doctest/doctest.h>

#include "optim/trajectory.hpp"
#include "test_util.hpp"

using duel::Var;
namespace fx = duel::fixtures;
namespace optim = duel::optim;

// Cases: Adam; Adam with DCGAN's betas and L2 weight decay; AdamW (decoupled weight decay).
TEST_CASE("Adam and AdamW follow PyTorch's 10-step trajectories (optim fixture, cases 03-05)") {
  for (const fx::Case& c : fx::cases("optim")) {
    const std::string opt = c.str("opt");
    if (opt != "adam" && opt != "adamw") continue;
    INFO("fixture case ", c.id());
    REQUIRE(!c.flag("amsgrad"));
    const optim::AdamOptions o{.beta1 = c.number("beta1"), .beta2 = c.number("beta2"), .eps = c.number("eps"),
                               .weight_decay = c.number("weight_decay")};
    if (opt == "adam") {
      fx::check_trajectory(c, [&](std::vector<Var<float>> params) { return optim::Adam(std::move(params), c.number("lr"), o); });
    } else {
      fx::check_trajectory(c, [&](std::vector<Var<float>> params) { return optim::AdamW(std::move(params), c.number("lr"), o); });
    }
  }
}

// After one step m / sqrt(v) is g / |g| once both are bias-corrected: every parameter moves by lr
// against the sign of its gradient, whatever the gradient's size.
TEST_CASE("Adam: the first step moves every parameter by lr; bad betas are refused") {
  Var<float> p = duel::test::var_of<float>({1, -2, 3}, {3});
  optim::Adam adam({p}, 0.01);
  p.set_grad(duel::test::var_of<float>({1e-3f, -50, 2}, {3}, false));
  adam.step();
  duel::test::check_close(p, {0.99f, -1.99f, 2.99f}, 1e-5);
  CHECK_THROWS_WITH_AS(optim::Adam({p}, 0.01, {.beta1 = 1}), "Adam: betas must be in [0, 1) and eps >= 0, got (1, 0.999) and 1e-08",
                       duel::ValueError);
}

TEST_CASE("AdamW: PyTorch's default weight decay 0.01, applied to the parameter, not the gradient") {
  Var<float> p = duel::test::var_of<float>({2}, {1});
  optim::AdamW adamw({p}, 0.1);
  p.set_grad(duel::test::var_of<float>({0}, {1}, false));  // no gradient: only the decay moves p
  adamw.step();
  duel::test::check_close(p, {2 * (1 - 0.1f * 0.01f)}, 1e-6);
}

// Eigen runs a block's unaligned head one number at a time and the rest in SIMD packets, whose
// square root may differ in the last bit; the blocks must therefore not move with the threads.
TEST_CASE("Adam and AdamW: the same parameters for any thread count, across several blocks") {
  const duel::index_t n = 3 * 16384 + 5;
  std::vector<std::vector<float>> results;
  const duel::test::ThreadCountGuard restore_threads;
  for (int threads : {1, 2, 3}) {
    for (bool decoupled : {false, true}) {
      duel::set_num_threads(threads);
      duel::Generator gen(7);
      Var<float> p(duel::randn<float>({n}, gen), true);
      optim::Adam adam({p}, 0.01, {.weight_decay = 0.1}, decoupled);
      for (int step = 0; step < 3; ++step) {
        p.set_grad(Var<float>(duel::randn<float>({n}, gen)));
        adam.step();
      }
      results.emplace_back(p.value().data(), p.value().data() + n);
    }
  }
  for (std::size_t k = 2; k < results.size(); ++k) CHECK(results[k] == results[k % 2]);
}
