#include "duel/metrics/classifier.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "io/io_test.hpp"

namespace metrics = duel::metrics;
using duel::Tensor;
using duel::Var;

TEST_CASE("MnistClassifier: LeNet-style layers, 128 features and 10 logits per image") {
  duel::manual_seed(3);
  metrics::MnistClassifier net;
  CHECK(net.num_parameters() == (32 * 9 + 32) + (64 * 32 * 9 + 64) + (3136 * 128 + 128) + (128 * 10 + 10));
  const std::string repr = net.repr();
  CHECK(repr.find("(2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)") != std::string::npos);
  CHECK(repr.find("(head): Linear(in_features=128, out_features=10, bias=True)") != std::string::npos);
  const Var<float> x(duel::randn<float>({3, 1, 28, 28}));
  CHECK(net.features(x).shape() == duel::Shape{3, 128});
  CHECK(net(x).shape() == duel::Shape{3, 10});
  CHECK_THROWS_WITH_AS(net(Var<float>(duel::zeros<float>({3, 784}))),
                       "MnistClassifier: input [3,784] is not [N, 1, 28, 28] images", duel::ShapeError);
}

TEST_CASE("save_classifier and load_classifier: the same outputs, metadata kept, ready in eval mode") {
  duel::test::TempDir dir;
  duel::manual_seed(4);
  metrics::MnistClassifier net;
  metrics::save_classifier(dir / "c.safetensors", net, {{"test_accuracy", "0.99"}});
  const auto loaded = metrics::load_classifier(dir / "c.safetensors");
  CHECK(!loaded->is_training());
  net.eval();
  const Var<float> x(duel::randn<float>({2, 1, 28, 28}));
  CHECK(duel::allclose(net(x).value(), (*loaded)(x).value(), 0, 0));
  const duel::StateDict state = duel::io::load_safetensors(dir / "c.safetensors");
  CHECK(state.metadata.at("architecture") == "duel-mnist-lenet-1");
  CHECK(state.metadata.at("test_accuracy") == "0.99");
}

TEST_CASE("load_classifier refuses a file of another network, naming it") {
  duel::test::TempDir dir;
  const auto path = dir / "other.safetensors";
  duel::io::save_safetensors(path, duel::StateDict());
  CHECK_THROWS_WITH_AS(metrics::load_classifier(path),
                       ("'" + path.string() +
                        "' is not a Duel MNIST classifier (metadata architecture is '', expected 'duel-mnist-lenet-1')")
                           .c_str(),
                       duel::IoError);
}

TEST_CASE("accuracy: the fraction whose most probable class is the label") {
  duel::manual_seed(5);
  metrics::MnistClassifier net;
  const Tensor<float> images = duel::randn<float>({6, 1, 28, 28});
  const Tensor<float> p = metrics::classify(net, images).probabilities;
  Tensor<std::int64_t> labels = Tensor<std::int64_t>::empty({6});
  for (duel::index_t i = 0; i < 6; ++i) {
    const float* row = p.data() + i * 10;
    const auto best = std::max_element(row, row + 10) - row;
    labels.data()[i] = i < 4 ? best : (best + 1) % 10;  // four right, two wrong
  }
  CHECK(metrics::accuracy(net, images, labels) == doctest::Approx(4.0 / 6));
  CHECK_THROWS_WITH_AS(metrics::accuracy(net, images, Tensor<std::int64_t>({5})),
                       "accuracy: labels [5] do not match images [6,1,28,28]", duel::ShapeError);
}
