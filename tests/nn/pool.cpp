#include "duel/nn/pool.hpp"

#include <doctest/doctest.h>

#include "duel/nn/sequential.hpp"
#include "test_util.hpp"

using duel::Var;
namespace nn = duel::nn;

TEST_CASE("MaxPool2d: PyTorch's repr, stride defaulting to the kernel, no parameters") {
  nn::MaxPool2d pool(2);
  CHECK(pool.repr() == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
  CHECK(nn::MaxPool2d(3, 1, 1).repr() == "MaxPool2d(kernel_size=3, stride=1, padding=1, dilation=1, ceil_mode=False)");
  CHECK(nn::MaxPool2d({3, 2}, {2, 1}).repr() ==
        "MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=0, dilation=1, ceil_mode=False)");
  CHECK(pool.num_parameters() == 0);
  CHECK(pool.state_dict().empty());
}

TEST_CASE("MaxPool2d: the values and gradient of max_pool2d, inside a Sequential too") {
  const Var<float> x = duel::test::var_of<float>({1, 5, 2, 0,  //
                                                  3, 4, 7, 1,  //
                                                  0, 2, 6, 6,  //
                                                  9, 1, 3, 8},
                                                 {1, 1, 4, 4});
  nn::MaxPool2d pool(2);
  const Var<float> y = pool(x);
  duel::test::check_close(y, {5, 7, 9, 8}, 0, 0);
  y.backward(Var<float>(duel::ones<float>({1, 1, 2, 2})));
  duel::test::check_close(x.grad(), {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1}, 0, 0);

  nn::Sequential net(nn::MaxPool2d(2), nn::MaxPool2d(2));
  duel::test::check_close(net(x), {9}, 0, 0);
  CHECK(nn::MaxPool2d(3, 2, 1)(Var<float>(duel::zeros<float>({2, 3, 28, 28}))).shape() == duel::Shape{2, 3, 14, 14});
}

TEST_CASE("MaxPool2d: a wrong input is named") {
  nn::MaxPool2d pool(2);
  CHECK_THROWS_WITH_AS(pool(Var<float>(duel::zeros<float>({4, 784}))),
                       "max_pool2d: input must be [N, C, H, W], got [4,784]", duel::ShapeError);
  CHECK_THROWS_AS(pool(Var<float>(duel::zeros<float>({1, 1, 1, 1}))), duel::ShapeError);
}
