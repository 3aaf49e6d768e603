// MnistClassifier: a small LeNet-style network that tells the ten digits apart, the judge behind
// Duel's GAN scores. FID needs features in which "looks like a digit" is a short distance; the
// Inception network of the original FID knows nothing of 28x28 digits, so a classifier trained on
// MNIST stands in for it, as in much of the GAN literature on MNIST.
//
//   [1, 28, 28] -> Conv2d(1, 32, 3, padding 1) ReLU MaxPool2d(2)  -> [32, 14, 14]
//               -> Conv2d(32, 64, 3, padding 1) ReLU MaxPool2d(2) -> [64, 7, 7]
//               -> Flatten -> Linear(3136, 128) ReLU              -> [128]  features(x)
//               -> Linear(128, 10)                                -> 10 logits, forward(x)
//
// Inputs are images in [-1, 1], as the DataLoader and the generators make them.
// examples/classifier.cpp trains it; data/mnist_classifier.safetensors holds the trained weights.
#pragma once

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "duel/data/dataloader.hpp"
#include "duel/io/safetensors.hpp"
#include "duel/nn.hpp"
#include "duel/nn/pool.hpp"

namespace duel::metrics {

class MnistClassifier : public nn::Module {
 public:
  // Saved in the weights file's metadata, so that a file of another network is refused by name.
  static constexpr const char* architecture = "duel-mnist-lenet-1";
  static constexpr index_t feature_dim = 128, num_classes = 10;

  MnistClassifier() {
    body = register_module("body", std::make_shared<nn::Sequential>(
        nn::Conv2d(1, 32, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
        nn::Conv2d(32, 64, 3, {.padding = 1}), nn::ReLU(), nn::MaxPool2d(2),
        nn::Flatten(), nn::Linear(64 * 7 * 7, feature_dim), nn::ReLU()));
    head = register_module("head", std::make_shared<nn::Linear>(feature_dim, num_classes));
  }

  std::string name() const override { return "MnistClassifier"; }

  // The penultimate activations [N, 128]: what the Fréchet distance compares.
  Var<float> features(const Var<float>& images) {
    if (images.rank() != 4 || images.size(1) != 1 || images.size(2) != 28 || images.size(3) != 28) {
      throw ShapeError(duel::detail::cat("MnistClassifier: input ", images.shape(), " is not [N, 1, 28, 28] images"));
    }
    return body->forward(images);
  }

  // The class logits [N, 10].
  Var<float> forward(const Var<float>& images) override { return head->forward(features(images)); }

  std::shared_ptr<nn::Sequential> body;
  std::shared_ptr<nn::Linear> head;
};

// Writes the weights with their architecture and the given facts (accuracy, command) as metadata.
inline void save_classifier(const std::filesystem::path& path, const MnistClassifier& classifier,
                            const std::map<std::string, std::string>& metadata = {}) {
  StateDict state = classifier.state_dict();
  state.metadata = metadata;
  state.metadata["architecture"] = MnistClassifier::architecture;
  io::save_safetensors(path, state);
}

// Reads a classifier written by save_classifier, ready to judge (in eval mode).
inline std::shared_ptr<MnistClassifier> load_classifier(const std::filesystem::path& path) {
  const StateDict state = io::load_safetensors(path);
  auto it = state.metadata.find("architecture");
  const std::string found = it == state.metadata.end() ? "" : it->second;
  if (found != MnistClassifier::architecture) {
    throw IoError(duel::detail::cat("'", path.string(), "' is not a Duel MNIST classifier (metadata architecture is '",
                                    found, "', expected '", MnistClassifier::architecture, "')"));
  }
  auto classifier = std::make_shared<MnistClassifier>();
  classifier->load_state_dict(state);
  classifier->eval();
  return classifier;
}

// What the classifier sees in a set of images.
struct Classified {
  Tensor<float> features;       // [N, 128]
  Tensor<float> probabilities;  // [N, 10], p(y | x): the softmax of the logits
};

// Runs the classifier over images [N, 1, 28, 28] in batches, in eval mode and without recording a
// graph, so memory stays that of one batch. The classifier's training mode is restored after.
inline Classified classify(MnistClassifier& classifier, const Tensor<float>& images, index_t batch_size = 500) {
  if (images.rank() != 4 || images.size(0) < 1) {
    throw ShapeError(duel::detail::cat("classify: images ", images.shape(), " are not a batch [N, 1, 28, 28]"));
  }
  if (batch_size < 1) throw ValueError(duel::detail::cat("classify: batch_size must be at least 1, got ", batch_size));
  struct RestoreMode {  // puts the training mode back, also when a forward throws
    MnistClassifier& net;
    bool training;
    ~RestoreMode() { net.train(training); }
  } restore{classifier, classifier.is_training()};
  classifier.eval();
  NoGradGuard no_grad;
  const index_t n = images.size(0), row = images.numel() / n;
  Classified out{Tensor<float>::empty({n, MnistClassifier::feature_dim}),
                 Tensor<float>::empty({n, MnistClassifier::num_classes})};
  for (index_t start = 0; start < n; start += batch_size) {
    const index_t b = std::min(batch_size, n - start);
    Shape shape = images.shape();
    shape[0] = b;
    Tensor<float> batch = Tensor<float>::empty(shape);
    std::memcpy(batch.data(), images.data() + start * row, static_cast<std::size_t>(b * row) * sizeof(float));
    const Var<float> f = classifier.features(Var<float>(batch));
    const Var<float> p = softmax(classifier.head->forward(f), 1);
    std::memcpy(out.features.data() + start * f.size(1), f.value().data(), static_cast<std::size_t>(f.numel()) * sizeof(float));
    std::memcpy(out.probabilities.data() + start * p.size(1), p.value().data(), static_cast<std::size_t>(p.numel()) * sizeof(float));
  }
  return out;
}

// Every image of a dataset as floats in [-1, 1], in order, scaled as the DataLoader scales them.
inline Tensor<float> all_images(const data::Dataset& set) {
  return data::DataLoader(set, {.batch_size = set.size(), .shuffle = false, .drop_last = false}).batch(0, 0).images;
}

// The fraction of images [N, 1, 28, 28] whose most probable class is their label [N].
inline double accuracy(MnistClassifier& classifier, const Tensor<float>& images, const Tensor<std::int64_t>& labels) {
  if (images.rank() < 1 || !(labels.shape() == Shape{images.size(0)})) {
    throw ShapeError(duel::detail::cat("accuracy: labels ", labels.shape(), " do not match images ", images.shape()));
  }
  const Tensor<float> p = classify(classifier, images).probabilities;
  index_t right = 0;
  for (index_t i = 0; i < labels.numel(); ++i) {
    const float* row = p.data() + i * p.size(1);
    right += std::max_element(row, row + p.size(1)) - row == labels.data()[i];
  }
  return static_cast<double>(right) / static_cast<double>(labels.numel());
}

}  // namespace duel::metrics
