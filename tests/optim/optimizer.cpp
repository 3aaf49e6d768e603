#include "duel/optim/optimizer.hpp"

#include <doctest/doctest.h>

#include "optim/trajectory.hpp"
#include "test_util.hpp"

using duel::StateDict;
using duel::Var;
namespace fx = duel::fixtures;
namespace nn = duel::nn;
namespace optim = duel::optim;

namespace {

// A small regression problem and a model for it, the same for every seed.
struct Problem {
  Var<float> x, y;
  explicit Problem(std::uint64_t seed) {
    duel::Generator gen(seed);
    x = Var<float>(duel::randn<float>({6, 4}, gen));
    y = Var<float>(duel::randn<float>({6, 2}, gen));
  }
};

std::vector<float> values_of(const nn::Module& m) {
  std::vector<float> out;
  for (const Var<float>& p : m.parameters()) out.insert(out.end(), p.value().begin(), p.value().end());
  return out;
}

// Runs 5 steps, saves model and optimizer, runs 5 more; then a fresh model and optimizer loaded
// from the save run the same 5: both must end bit for bit equal.
template <class MakeOptimizer>
void check_resume(MakeOptimizer make_opt) {
  const Problem data(11);
  duel::manual_seed(12);
  nn::Sequential model = fx::optim_model();
  auto opt = make_opt(model.parameters());
  for (int k = 0; k < 5; ++k) fx::train_step(model, opt, data.x, data.y);
  const StateDict model_state = model.state_dict(), opt_state = opt.state_dict();
  for (int k = 0; k < 5; ++k) fx::train_step(model, opt, data.x, data.y);

  duel::manual_seed(13);
  nn::Sequential resumed = fx::optim_model();
  resumed.load_state_dict(model_state);
  auto resumed_opt = make_opt(resumed.parameters());
  resumed_opt.set_lr(123);  // the saved learning rate comes back too
  resumed_opt.load_state_dict(opt_state);
  CHECK(resumed_opt.lr() == opt.lr());
  for (int k = 0; k < 5; ++k) fx::train_step(resumed, resumed_opt, data.x, data.y);
  CHECK(values_of(resumed) == values_of(model));
}

}  // namespace

TEST_CASE("optimizer state_dict: a resumed run continues bit for bit (SGD with momentum, Adam, AdamW)") {
  check_resume([](std::vector<Var<float>> p) { return optim::SGD(std::move(p), 0.1, {.momentum = 0.9, .nesterov = true}); });
  check_resume([](std::vector<Var<float>> p) { return optim::Adam(std::move(p), 0.01, {.beta1 = 0.5}); });
  check_resume([](std::vector<Var<float>> p) { return optim::AdamW(std::move(p), 0.01); });
}

TEST_CASE("optimizer state_dict: buffers per parameter index, step counts and settings as metadata") {
  nn::Linear fc(3, 2);
  optim::Adam adam(fc.parameters(), 0.001);
  duel::sum(fc(Var<float>(duel::ones<float>({1, 3})))).backward();
  adam.step();
  const StateDict s = adam.state_dict();
  CHECK(s.contains("state.0.exp_avg"));
  CHECK(s.contains("state.1.exp_avg_sq"));
  CHECK(s.at("state.0.exp_avg").shape() == duel::Shape{2, 3});
  CHECK(s.metadata.at("state.0.step") == "1");
  CHECK(s.metadata.at("lr") == "0.001");
  CHECK(s.metadata.at("beta1") == "0.9");
}

TEST_CASE("optimizer: the learning rate can be read and changed between steps") {
  Var<float> p = duel::test::var_of<float>({1}, {1});
  optim::SGD sgd({p}, 0.1);
  CHECK(sgd.lr() == 0.1);
  sgd.set_lr(0.5);
  CHECK(sgd.lr() == 0.5);
  p.set_grad(duel::test::var_of<float>({2}, {1}, false));
  sgd.step();
  CHECK(p.item() == 0);  // 1 - 0.5 * 2
}

TEST_CASE("optimizer: parameters without a gradient are skipped, their step count stays 0") {
  nn::Sequential model(nn::Linear(2, 2), nn::Linear(2, 2));
  optim::Adam adam(model.parameters(), 0.1);
  const std::vector<float> before = values_of(model);
  duel::sum(model.at<nn::Linear>(0)->forward(Var<float>(duel::ones<float>({1, 2})))).backward();  // only layer 0 gets gradients
  adam.step();
  const std::vector<float> after = values_of(model);
  CHECK(std::vector<float>(after.begin() + 6, after.end()) == std::vector<float>(before.begin() + 6, before.end()));
  CHECK(after[0] != before[0]);
  const StateDict s = adam.state_dict();
  CHECK(s.metadata.at("state.0.step") == "1");
  CHECK(s.metadata.at("state.2.step") == "0");
  CHECK(!s.contains("state.2.exp_avg"));
}

TEST_CASE("optimizer: bad parameters, learning rates and states say what is wrong, and a failed load changes nothing") {
  CHECK_THROWS_WITH_AS(optim::SGD({Var<float>(duel::ones<float>({2}), true), Var<float>(duel::ones<float>({2}))}, 0.1),
                       "optimizer: parameter 1 does not require grad", duel::ValueError);
  CHECK_THROWS_WITH_AS(optim::SGD({Var<float>(duel::ones<float>({2}), true)}, -1), "optimizer: learning rate must be >= 0, got -1",
                       duel::ValueError);

  nn::Linear small(2, 3), large(4, 3);
  optim::SGD a(small.parameters(), 0.1, {.momentum = 0.9}), b(large.parameters(), 0.1, {.momentum = 0.9});
  using Pair = std::pair<nn::Linear*, optim::SGD*>;
  for (auto [m, opt] : {Pair{&small, &a}, Pair{&large, &b}}) {
    duel::sum((*m)(Var<float>(duel::ones<float>({1, m->weight.size(1)})))).backward();
    opt->step();
  }
  StateDict foreign = a.state_dict();
  foreign.insert("state.7.momentum_buffer", duel::zeros<float>({3}));
  foreign.insert("velocity", duel::zeros<float>({3}));
  const StateDict before = b.state_dict();
  CHECK_THROWS_WITH_AS(b.load_state_dict(foreign),
                       "optimizer load_state_dict: state does not fit these parameters:\n"
                       "  state.0.momentum_buffer: expected [3,4], found [3,2]\n"
                       "  unexpected entry 'state.7.momentum_buffer'\n"
                       "  unexpected entry 'velocity'",
                       duel::ValueError);
  CHECK(duel::allclose(b.state_dict().at("state.0.momentum_buffer"), before.at("state.0.momentum_buffer"), 0, 0));
  StateDict no_steps;
  CHECK_THROWS_WITH_AS(b.load_state_dict(no_steps),
                       "optimizer load_state_dict: state does not fit these parameters:\n"
                       "  missing step count of parameter 0\n  missing step count of parameter 1",
                       duel::ValueError);
}
