#include "duel/nn/reshape.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "test_util.hpp"

using duel::Var;
namespace nn = duel::nn;

TEST_CASE("Flatten and Unflatten: shapes and PyTorch's repr") {
  const Var<float> x(duel::randn<float>({2, 3, 4, 5}));
  CHECK(nn::Flatten()(x).shape() == duel::Shape{2, 60});
  CHECK(nn::Flatten(0, 1)(x).shape() == duel::Shape{6, 4, 5});
  CHECK(nn::Flatten().repr() == "Flatten(start_dim=1, end_dim=-1)");
  nn::Unflatten unflatten(1, {128, 7, 7});
  CHECK(unflatten(Var<float>(duel::zeros<float>({2, 6272}))).shape() == duel::Shape{2, 128, 7, 7});
  CHECK(unflatten.repr() == "Unflatten(dim=1, unflattened_size=(128, 7, 7))");
  CHECK(nn::Unflatten(1, {6}).repr() == "Unflatten(dim=1, unflattened_size=(6,))");  // a Python 1-tuple
}

TEST_CASE("Upsample: nearest-neighbour by an integer factor, printed as PyTorch prints it") {
  nn::Upsample up(2);
  CHECK(up.repr() == "Upsample(scale_factor=2.0, mode=nearest)");
  const Var<float> x = duel::test::var_of<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  duel::test::check_close(up(x), {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, 0, 0);
}

TEST_CASE("Dropout: on in training, the identity in evaluation, PyTorch's repr") {
  nn::Dropout drop(0.5);
  CHECK(drop.repr() == "Dropout(p=0.5, inplace=False)");
  const Var<float> x(duel::ones<float>({1000}));
  const Var<float> y = drop(x);
  const auto zeros = std::count(y.value().begin(), y.value().end(), 0.0f);
  CHECK(zeros > 400);
  CHECK(zeros < 600);
  drop.eval();
  CHECK(drop(x).value().data() == x.value().data());
  CHECK_THROWS_WITH_AS(nn::Dropout(-0.1), "Dropout: probability must be in [0, 1], got -0.1", duel::ValueError);
}
