#include "duel/optim/sgd.hpp"

#include <doctest/doctest.h>

#include "optim/trajectory.hpp"
#include "test_util.hpp"

using duel::Var;
namespace fx = duel::fixtures;
namespace optim = duel::optim;

// Cases: momentum; Nesterov with weight decay; dampening (which PyTorch skips on the first step).
TEST_CASE("SGD follows PyTorch's 10-step trajectories (optim fixture, cases 00-02)") {
  for (const fx::Case& c : fx::cases("optim")) {
    if (c.str("opt") != "sgd") continue;
    INFO("fixture case ", c.id());
    fx::check_trajectory(c, [&](std::vector<Var<float>> params) {
      return optim::SGD(std::move(params), c.number("lr"),
                        {.momentum = c.number("momentum"), .dampening = c.number("dampening"),
                         .weight_decay = c.number("weight_decay"), .nesterov = c.flag("nesterov")});
    });
  }
}

TEST_CASE("SGD: one step by hand, with weight decay, and the Nesterov precondition") {
  Var<float> p = duel::test::var_of<float>({1, -2}, {2});
  optim::SGD sgd({p}, 0.5, {.weight_decay = 0.1});
  p.set_grad(duel::test::var_of<float>({0.2f, 0.4f}, {2}, false));
  sgd.step();
  duel::test::check_close(p, {1 - 0.5f * (0.2f + 0.1f), -2 - 0.5f * (0.4f - 0.2f)}, 1e-6);
  CHECK_THROWS_WITH_AS(optim::SGD({p}, 0.1, {.momentum = 0.9, .dampening = 0.1, .nesterov = true}),
                       "SGD: Nesterov momentum requires a momentum and zero dampening", duel::ValueError);
  CHECK_THROWS_AS(optim::SGD({p}, 0.1, {.nesterov = true}), duel::ValueError);
}
