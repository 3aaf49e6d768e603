#include "duel/nn/state_dict.hpp"

#include <doctest/doctest.h>

#include "duel/nn.hpp"

using duel::StateDict;
using duel::Var;
namespace nn = duel::nn;

TEST_CASE("StateDict: entries in insertion order, unique names, readable errors") {
  StateDict s;
  s.insert("b", duel::ones<float>({2}));
  s.insert("a", duel::zeros<float>({3}));
  CHECK(s.size() == 2);
  CHECK(s.begin()->first == "b");
  CHECK(s.contains("a"));
  CHECK(!s.contains("c"));
  CHECK(s.at("a").shape() == duel::Shape{3});
  CHECK_THROWS_WITH_AS(s.insert("a", duel::zeros<float>({1})), "StateDict: duplicate entry 'a'", duel::ValueError);
  CHECK_THROWS_WITH_AS(s.at("c"), "StateDict: no entry 'c'", duel::ValueError);
}

TEST_CASE("StateDict: sub and merge move entries and metadata under a prefix and back") {
  StateDict g;
  g.insert("main.0.weight", duel::ones<float>({2, 2}));
  g.metadata["step"] = "10";
  StateDict all;
  all.merge("G", g);
  all.insert("D.fc.bias", duel::zeros<float>({1}));
  CHECK(all.contains("G.main.0.weight"));
  CHECK(all.metadata.at("G.step") == "10");
  const StateDict back = all.sub("G");
  CHECK(back.size() == 1);
  CHECK(back.contains("main.0.weight"));
  CHECK(back.metadata.at("step") == "10");
  CHECK(all.sub("D").contains("fc.bias"));
}

// Round trip: the state of one network makes another, built with other random values, compute
// exactly the same function, batch norm statistics included.
TEST_CASE("state_dict round trip: a loaded network computes what the saved one computed") {
  auto make = [] { return nn::Sequential(nn::Linear(4, 6), nn::BatchNorm1d(6), nn::ReLU(), nn::Linear(6, 2)); };
  duel::manual_seed(1);
  nn::Sequential a = make();
  a(Var<float>(duel::randn<float>({8, 4})));  // moves the running statistics away from their start
  duel::manual_seed(2);
  nn::Sequential b = make();
  b.load_state_dict(a.state_dict());
  a.eval();
  b.eval();
  const Var<float> x(duel::randn<float>({5, 4}));
  CHECK(duel::allclose(a(x).value(), b(x).value(), 0, 0));
  CHECK(b.state_dict().at("1.num_batches_tracked").item() == 1);
}
