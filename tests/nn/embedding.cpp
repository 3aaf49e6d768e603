#include "duel/nn/embedding.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "nn/module_fixture.hpp"

using duel::Var;
namespace fx = duel::fixtures;
namespace nn = duel::nn;

TEST_CASE("Embedding matches PyTorch's nn.Embedding (modules fixture)") {
  const fx::Case c = fx::module_case("Embedding");
  nn::Embedding m(10, 4);
  fx::check_module_case(c, m, [&] { return m(c.tensor<std::int64_t>("x")); });
}

TEST_CASE("Embedding: default init is N(0, 1), as PyTorch's") {
  duel::manual_seed(5);
  nn::Embedding m(1000, 100);
  double sum = 0, squares = 0;
  for (float v : m.weight.value()) {
    sum += v;
    squares += static_cast<double>(v) * v;
  }
  const double mean = sum / 1e5, std = std::sqrt(squares / 1e5 - mean * mean);
  CHECK(std::abs(mean) < 0.01);
  CHECK(std == doctest::Approx(1).epsilon(0.01));
}

TEST_CASE("Embedding: the padding_idx row starts at zero and gets no gradient") {
  nn::Embedding m(5, 3, 2);
  CHECK(m.repr() == "Embedding(5, 3, padding_idx=2)");
  CHECK(nn::Embedding(10, 4).repr() == "Embedding(10, 4)");
  for (duel::index_t j = 0; j < 3; ++j) CHECK(m.weight.value()(2, j) == 0);
  Var<float> y = m(duel::from_vector<std::int64_t>({2, 0, 2}));
  CHECK(y.shape() == duel::Shape{3, 3});
  duel::sum(y).backward();
  for (duel::index_t j = 0; j < 3; ++j) {
    CHECK(m.weight.grad().value()(0, j) == 1);
    CHECK(m.weight.grad().value()(2, j) == 0);
  }
  CHECK_THROWS_WITH_AS(nn::Embedding(5, 3, 5), "Embedding: padding_idx 5 is out of range for 5 embeddings", duel::ValueError);
  CHECK_THROWS_WITH_AS(m(duel::from_vector<std::int64_t>({5})), "embedding: index 5 is out of range for 5 embeddings",
                       duel::ValueError);
  CHECK_THROWS_WITH_AS(m.forward(Var<float>(duel::zeros<float>({2}))), "Embedding has no single-input forward(x)", duel::Error);
}
