#include "duel/nn/activation.hpp"

#include <doctest/doctest.h>

#include "test_util.hpp"

using duel::Var;
namespace nn = duel::nn;

TEST_CASE("activation layers: PyTorch's repr, no parameters, the op's values") {
  duel::Generator gen(901);
  const Var<float> x(duel::randn<float>({3, 4}, gen));
  nn::ReLU relu;
  nn::LeakyReLU leaky(0.2);
  nn::Tanh tanh;
  nn::Sigmoid sigmoid;
  CHECK(relu.repr() == "ReLU()");
  CHECK(leaky.repr() == "LeakyReLU(negative_slope=0.2)");
  CHECK(nn::LeakyReLU().repr() == "LeakyReLU(negative_slope=0.01)");
  CHECK(tanh.repr() == "Tanh()");
  CHECK(sigmoid.repr() == "Sigmoid()");
  for (const nn::Module* m : {static_cast<nn::Module*>(&relu), static_cast<nn::Module*>(&leaky),
                              static_cast<nn::Module*>(&tanh), static_cast<nn::Module*>(&sigmoid)}) {
    CHECK(m->num_parameters() == 0);
  }
  CHECK(duel::allclose(relu(x).value(), duel::relu(x).value(), 0, 0));
  CHECK(duel::allclose(leaky(x).value(), duel::leaky_relu(x, 0.2).value(), 0, 0));
  CHECK(duel::allclose(tanh(x).value(), duel::tanh(x).value(), 0, 0));
  CHECK(duel::allclose(sigmoid(x).value(), duel::sigmoid(x).value(), 0, 0));
}
