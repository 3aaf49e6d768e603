#include "duel/nn/sequential.hpp"

#include <doctest/doctest.h>

#include <sstream>

#include "nn/module_fixture.hpp"

using duel::Var;
namespace fx = duel::fixtures;
namespace nn = duel::nn;

TEST_CASE("Sequential matches PyTorch's nn.Sequential (modules fixture), parameters named 0.weight ... 2.bias") {
  nn::Sequential net(nn::Linear(4, 8), nn::LeakyReLU(0.2), nn::Linear(8, 2));
  fx::check_module_case(fx::module_case("Sequential"), net);
}

TEST_CASE("Sequential: indexing, at<T> and shared modules") {
  auto shared = std::make_shared<nn::Linear>(8, 2);
  nn::Sequential net(nn::Linear(4, 8), nn::Tanh(), shared);
  CHECK(net.size() == 3);
  CHECK(net[1]->name() == "Tanh");
  CHECK(net.at<nn::Linear>(2) == shared);  // given as a pointer, the caller and the net share it
  CHECK(net.at<nn::Linear>(0)->weight.shape() == duel::Shape{8, 4});
  CHECK_THROWS_WITH_AS(net[3], "Sequential: index 3 is out of range for 3 modules", duel::ValueError);
  CHECK_THROWS_WITH_AS(net.at<nn::Linear>(1), "Sequential: module 1 is a Tanh", duel::ValueError);
  net.push_back(nn::Sigmoid());
  CHECK(net.size() == 4);
  CHECK(net.named_children().back().first == "3");

  const Var<float> x(duel::randn<float>({5, 4}));
  const Var<float> chained = duel::sigmoid((*shared)(duel::tanh((*net.at<nn::Linear>(0))(x))));
  CHECK(duel::allclose(net(x).value(), chained.value(), 0, 0));
  CHECK(nn::Sequential()(x).value().data() == x.value().data());  // empty: the identity
}

TEST_CASE("Sequential: print(model) format with parameter counts") {
  nn::Sequential net(nn::Linear(100, 256), nn::LeakyReLU(0.2), nn::Linear(256, 784), nn::Tanh());
  std::ostringstream printed;
  printed << net;
  CHECK(printed.str() ==
        "Sequential(\n"
        "  (0): Linear(in_features=100, out_features=256, bias=True)  # 25856 parameters\n"
        "  (1): LeakyReLU(negative_slope=0.2)\n"
        "  (2): Linear(in_features=256, out_features=784, bias=True)  # 201488 parameters\n"
        "  (3): Tanh()\n"
        ")\n"
        "# total: 227344 parameters");
  CHECK(nn::Sequential().repr() == "Sequential()");
}
