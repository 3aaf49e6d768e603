#include "duel/nn/normalization.hpp"

#include <doctest/doctest.h>

#include "nn/module_fixture.hpp"
#include "test_util.hpp"

using duel::Tensor;
using duel::Var;
namespace fx = duel::fixtures;
namespace nn = duel::nn;

TEST_CASE("BatchNorm1d, BatchNorm2d and InstanceNorm2d match PyTorch's modules (modules fixture), buffers included") {
  nn::BatchNorm1d bn1(6);
  fx::check_module_case(fx::module_case("BatchNorm1d"), bn1);
  nn::BatchNorm2d bn2(3);
  fx::check_module_case(fx::module_case("BatchNorm2d"), bn2);
  nn::InstanceNorm2d in(3, 1e-5, true);
  fx::check_module_case(fx::module_case("InstanceNorm2d"), in);
}

TEST_CASE("BatchNorm2d: training updates the running statistics, evaluation uses them and leaves them alone") {
  duel::Generator gen(801);
  nn::BatchNorm2d bn(2);
  const Var<float> x(duel::randn<float>({4, 2, 3, 3}, gen));
  bn(x);
  bn(x);
  CHECK(bn.num_batches_tracked.item() == 2);
  CHECK(bn.running_mean.data()[0] != 0);

  bn.eval();
  bn.running_mean.copy_(duel::from_vector<float>({0.5f, -1}));
  bn.running_var.copy_(duel::from_vector<float>({4, 0.25f}));
  bn.weight.value().copy_(duel::from_vector<float>({2, 3}));
  bn.bias.value().copy_(duel::from_vector<float>({1, -1}));
  const Var<float> y = bn(x);
  for (duel::index_t i = 0; i < x.numel(); ++i) {
    const duel::index_t c = i / 9 % 2;
    const float expected = c == 0 ? (x.value().data()[i] - 0.5f) / std::sqrt(4 + 1e-5f) * 2 + 1
                                  : (x.value().data()[i] + 1) / std::sqrt(0.25f + 1e-5f) * 3 - 1;
    CHECK(y.value().data()[i] == doctest::Approx(expected).epsilon(1e-5));
  }
  CHECK(bn.running_mean.data()[0] == 0.5f);  // unchanged by an evaluation pass
  CHECK(bn.num_batches_tracked.item() == 2);
  bn.train();
  bn(x);
  CHECK(bn.running_mean.data()[0] != 0.5f);
}

TEST_CASE("BatchNorm without running statistics normalises with the batch even in evaluation") {
  duel::Generator gen(802);
  nn::BatchNorm1d bn(3, {.affine = false, .track_running_stats = false});
  CHECK(bn.named_buffers().empty());
  CHECK(bn.num_parameters() == 0);
  bn.eval();
  const Var<float> x(duel::randn<float>({5, 3}, gen));
  CHECK(duel::allclose(bn(x).value(), duel::batch_norm(x, Tensor<float>(), Tensor<float>()).value(), 1e-6, 1e-6));
  CHECK(bn.repr() == "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)");
}

TEST_CASE("BatchNorm and InstanceNorm: repr in PyTorch's format, inputs of the wrong shape say so") {
  nn::BatchNorm2d bn(3);
  CHECK(bn.repr() == "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)");
  CHECK(nn::BatchNorm1d(64, {.eps = 1e-3, .momentum = 0.01}).repr() ==
        "BatchNorm1d(64, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)");
  CHECK(nn::InstanceNorm2d(8).repr() == "InstanceNorm2d(8, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False)");
  CHECK_THROWS_WITH_AS(bn(Var<float>(duel::zeros<float>({2, 4, 5, 5}))),
                       "BatchNorm2d(num_features=3): input [2,4,5,5] is not [N, C, H, W] with C = 3", duel::ShapeError);
  nn::BatchNorm1d bn1(3);
  CHECK(bn1(Var<float>(duel::randn<float>({2, 3, 4}))).shape() == duel::Shape{2, 3, 4});  // [N, C, L] too
  CHECK_THROWS_WITH_AS(bn1(Var<float>(duel::zeros<float>({2, 3, 4, 4}))),
                       "BatchNorm1d(num_features=3): input [2,3,4,4] is not [N, C] or [N, C, L] with C = 3", duel::ShapeError);
  CHECK_THROWS_WITH_AS(nn::InstanceNorm2d(3)(Var<float>(duel::zeros<float>({2, 3, 4}))),
                       "InstanceNorm2d(num_features=3): input [2,3,4] is not [N, C, H, W] with C = 3", duel::ShapeError);
}
