#include "duel/ops/embedding.hpp"

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "test_util.hpp"

using duel::Var;
namespace fx = duel::fixtures;

TEST_CASE_TEMPLATE("embedding matches PyTorch on every fixture case, padding_idx included", T, float, double) {
  fx::for_each_case("embedding", [](const fx::Case& c) {
    const std::int64_t padding_idx = c.str("padding_idx") == "none" ? -1 : c.integer("padding_idx");
    const duel::Tensor<std::int64_t> indices = c.tensor<std::int64_t>("indices");
    fx::check_op<T>(c, {"weight"}, [&](const fx::Inputs<T>& in) { return duel::embedding(indices, in["weight"], padding_idx); });
  });
}

// Not with padding_idx: the forward pass reads that row but, by definition, gives it no gradient,
// so finite differences disagree on purpose (fixture case 05 checks that row against PyTorch).
TEST_CASE("embedding: gradcheck and gradgradcheck with repeated indices") {
  duel::Generator gen(501);
  const duel::Tensor<std::int64_t> indices = duel::from_vector<std::int64_t>({0, 3, 3, 4, 2, 0}, {2, 3});
  duel::test::check_gradients([&](const auto& v) { return duel::embedding(indices, v[0]); },
                              {duel::test::rand_var({5, 2}, gen)});
}

TEST_CASE("embedding: bad indices and tables say what is wrong") {
  const Var<double> weight(duel::zeros<double>({10, 4}));
  CHECK_THROWS_WITH_AS(duel::embedding(duel::from_vector<std::int64_t>({3, 10}), weight),
                       "embedding: index 10 is out of range for 10 embeddings", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::embedding(duel::from_vector<std::int64_t>({-1}), weight),
                       "embedding: index -1 is out of range for 10 embeddings", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::embedding(duel::from_vector<std::int64_t>({0}), Var<double>(duel::zeros<double>({10}))),
                       "embedding: weight must be [num_embeddings, dim], got [10]", duel::ShapeError);
}
