// The optim fixture family: 10 training steps of Sequential(Linear(4, 3), Tanh(), Linear(3, 2)) on
// mse_loss, run by PyTorch's optimizers; the parameters after every step are stored.
#pragma once

#include <string>

#include "duel/nn.hpp"
#include "duel/optim.hpp"
#include "nn/module_fixture.hpp"

namespace duel::fixtures {

inline nn::Sequential optim_model() { return nn::Sequential(nn::Linear(4, 3), nn::Tanh(), nn::Linear(3, 2)); }

// One step of the usual loop: zero_grad, loss = mse_loss(model(x), y), backward, step.
inline float train_step(nn::Module& model, optim::Optimizer& opt, const Var<float>& x, const Var<float>& y) {
  opt.zero_grad();
  const Var<float> loss = mse_loss(model(x), y);
  loss.backward();
  opt.step();
  return loss.item();
}

// Runs the case's trajectory with the optimizer make_opt(parameters) gives, from the stored
// initial parameters, and compares the parameters after every step and the losses with PyTorch's.
template <class MakeOptimizer>
void check_trajectory(const Case& c, MakeOptimizer make_opt) {
  nn::Sequential model = optim_model();
  model.load_state_dict(state_with_prefix(c, "init."));
  auto opt = make_opt(model.parameters());
  const Var<float> x = c.var<float>("x", false), y = c.var<float>("y", false);
  const Tensor<double> losses_ref = c.ref("loss");
  Tensor<float> losses = Tensor<float>::empty(losses_ref.shape());
  for (index_t k = 0; k < losses.numel(); ++k) {
    losses.data()[k] = train_step(model, opt, x, y);
    for (const auto& [name, p] : model.named_parameters()) {
      const std::string role = detail::cat("step", k + 1, ".", name);
      check_close(c.label<float>(role), p.value(), c.ref(role), rtol<float>());
    }
  }
  check_close(c.label<float>("loss"), losses, losses_ref, rtol<float>());
}

}  // namespace duel::fixtures
