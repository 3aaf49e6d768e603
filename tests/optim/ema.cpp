#include "duel/optim/ema.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <vector>

#include "duel/nn/normalization.hpp"
#include "test_util.hpp"

using duel::StateDict;
using duel::Tensor;
namespace nn = duel::nn;
namespace optim = duel::optim;

namespace {

// A batch norm: one parameter pair (weight, bias) and buffers (running statistics).
nn::BatchNorm1d two_features() {
  nn::BatchNorm1d bn(2);
  bn.weight.value().copy_(duel::from_vector<float>({1, 2}));
  bn.bias.value().copy_(duel::from_vector<float>({0, 0}));
  return bn;
}

void set(Tensor<float> t, std::vector<float> values) { t.copy_(duel::from_vector<float>(values)); }

void check_values(const Tensor<float>& t, std::vector<float> expected, double tolerance) {
  duel::test::check_close(t, duel::from_vector<float>(expected, t.shape()), tolerance, tolerance);
}

}  // namespace

TEST_CASE("ModelEma: average <- d average + (1 - d) weights, with d = min(decay, (1 + t) / (10 + t))") {
  nn::BatchNorm1d bn = two_features();
  optim::ModelEma ema(bn, 0.5);
  set(bn.weight.value(), {3, 4});
  ema.update(bn);  // t = 1: d = min(0.5, 2/11) = 2/11
  CHECK(ema.updates() == 1);
  check_values(ema.average().at("weight"), {1 * 2.f / 11 + 3 * 9.f / 11, 2 * 2.f / 11 + 4 * 9.f / 11}, 1e-6);
  const Tensor<float> before = ema.average().at("weight").clone();
  set(bn.weight.value(), {0, 0});
  for (int t = 2; t <= 20; ++t) ema.update(bn);  // t >= 9: (1 + t) / (10 + t) >= 0.5, so d = decay
  CHECK(ema.average().at("weight").data()[0] > 0);
  CHECK(ema.average().at("weight").data()[0] < before.data()[0] * 0.5f);
  set(bn.weight.value(), {1, 1});
  const float w = ema.average().at("weight").data()[0];
  ema.update(bn);
  CHECK(ema.average().at("weight").data()[0] == doctest::Approx(0.5 * w + 0.5));
}

TEST_CASE("ModelEma: buffers are copied from the latest weights, not averaged") {
  nn::BatchNorm1d bn = two_features();
  optim::ModelEma ema(bn, 0.999);
  set(bn.running_mean, {5, -5});
  ema.update(bn);
  check_values(ema.average().at("running_mean"), {5, -5}, 0);
}

TEST_CASE("ModelEma::with_average: the module holds the average inside, its own weights after, even on an error") {
  nn::BatchNorm1d bn = two_features();
  optim::ModelEma ema(bn, 0.9);
  set(bn.weight.value(), {7, 7});
  ema.update(bn);
  const Tensor<float> average = ema.average().at("weight").clone();
  ema.with_average(bn, [&] { CHECK(duel::allclose(bn.weight.value(), average, 0, 0)); });
  check_values(bn.weight.value(), {7, 7}, 0);
  CHECK_THROWS_AS(ema.with_average(bn, [] { throw std::runtime_error("boom"); }), std::runtime_error);
  check_values(bn.weight.value(), {7, 7}, 0);
}

TEST_CASE("ModelEma: state_dict round-trips the average and the update count") {
  nn::BatchNorm1d bn = two_features();
  optim::ModelEma ema(bn, 0.9);
  set(bn.weight.value(), {3, 3});
  ema.update(bn);
  ema.update(bn);
  const StateDict saved = ema.state_dict();
  CHECK(saved.metadata.at("updates") == "2");

  optim::ModelEma restored(two_features(), 0.9);
  restored.load_state_dict(saved);
  CHECK(restored.updates() == 2);
  CHECK(duel::allclose(restored.average().at("weight"), ema.average().at("weight"), 0, 0));
  ema.update(bn);
  restored.update(bn);
  CHECK(duel::allclose(restored.average().at("weight"), ema.average().at("weight"), 0, 0));
}

TEST_CASE("ModelEma: a state of another module, an empty one or a bad count is refused and changes nothing") {
  nn::BatchNorm1d bn = two_features();
  optim::ModelEma ema(bn, 0.9);
  const StateDict before = ema.state_dict();
  optim::ModelEma wider(nn::BatchNorm1d(3), 0.9);
  CHECK_THROWS_WITH_AS(ema.load_state_dict(wider.state_dict()), doctest::Contains("wrong shape: weight: expected [2], found [3]"),
                       duel::ValueError);
  CHECK_THROWS_WITH_AS(ema.load_state_dict(StateDict()), doctest::Contains("no averaged weights"), duel::ValueError);
  StateDict bad_count = ema.state_dict();
  bad_count.metadata["updates"] = "many";
  CHECK_THROWS_WITH_AS(ema.load_state_dict(bad_count), doctest::Contains("no valid update count"), duel::ValueError);
  CHECK(ema.updates() == 0);
  CHECK(duel::allclose(ema.average().at("weight"), before.at("weight"), 0, 0));
}

TEST_CASE("ModelEma: a decay outside [0, 1) is refused") {
  CHECK_THROWS_WITH_AS(optim::ModelEma(two_features(), 1.0), "ModelEma: decay must be in [0, 1), got 1", duel::ValueError);
  CHECK_THROWS_AS(optim::ModelEma(two_features(), -0.1), duel::ValueError);
}
