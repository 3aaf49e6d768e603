// A class-conditional DCGAN for 28x28 digits: ask for a 7, get a 7.
//
//   G: z [100] and label y -> [z, E_G(y)] (an embedding of the label, 50 numbers, joined to the noise)
//      -> the dcgan_mnist generator: Linear(150, 6272) BN ReLU -> [128, 7, 7] -> ConvT BN ReLU -> ConvT Tanh
//   D: the projection discriminator of Miyato & Koyama (2018). The dcgan_mnist convolutions give
//      features phi(x) [6272]; the logit is
//          D(x, y) = w^T phi(x) + b + E_D(y)^T phi(x)
//      an unconditional score plus the agreement of the features with the class's own vector:
//      a fake that looks like a fine digit of the wrong class is still caught.
#pragma once

#include "duel/gan/networks.hpp"

namespace duel::gan {

class CganMnistGenerator : public Generator {
 public:
  explicit CganMnistGenerator(index_t latent_dim = 100, index_t num_classes = 10, index_t label_dim = 50)
      : latent_dim_(latent_dim), classes_(num_classes) {
    label_embedding = register_module("label_embedding", std::make_shared<nn::Embedding>(num_classes, label_dim));
    main = register_module("main", std::make_shared<nn::Sequential>(
        nn::Linear(latent_dim + label_dim, 128 * 7 * 7), nn::BatchNorm1d(128 * 7 * 7), nn::ReLU(),
        nn::Unflatten(1, {128, 7, 7}), nn::ConvTranspose2d(128, 64, 4, {.stride = 2, .padding = 1}), nn::BatchNorm2d(64),
        nn::ReLU(), nn::ConvTranspose2d(64, 1, 4, {.stride = 2, .padding = 1}), nn::Tanh()));
    nn::init::dcgan_(*this);
  }
  std::string name() const override { return "CganMnistGenerator"; }
  Shape latent_shape() const override { return {latent_dim_}; }
  Shape image_shape() const override { return {1, 28, 28}; }
  index_t num_classes() const override { return classes_; }

  Var<float> generate(const Var<float>& z, const Tensor<std::int64_t>& labels) override {
    check_labels(name(), classes_, z.size(0), labels);
    return main->forward(cat<float>({z, (*label_embedding)(labels)}, 1));
  }

  std::shared_ptr<nn::Embedding> label_embedding;
  std::shared_ptr<nn::Sequential> main;

 private:
  index_t latent_dim_, classes_;
};

class ProjectionDiscriminator : public Discriminator {
 public:
  explicit ProjectionDiscriminator(index_t num_classes = 10) : classes_(num_classes) {
    features = register_module("features", std::make_shared<nn::Sequential>(
        nn::Conv2d(1, 64, 4, {.stride = 2, .padding = 1}), nn::LeakyReLU(0.2),
        nn::Conv2d(64, 128, 4, {.stride = 2, .padding = 1}), nn::BatchNorm2d(128), nn::LeakyReLU(0.2), nn::Flatten()));
    score = register_module("score", std::make_shared<nn::Linear>(128 * 7 * 7, 1));
    class_embedding = register_module("class_embedding", std::make_shared<nn::Embedding>(num_classes, 128 * 7 * 7));
    nn::init::dcgan_(*this);
    nn::init::normal_(class_embedding->weight, 0, 0.02);  // small, like the weights it adds to
  }
  std::string name() const override { return "ProjectionDiscriminator"; }
  Shape image_shape() const override { return {1, 28, 28}; }
  index_t num_classes() const override { return classes_; }

  Var<float> judge(const Var<float>& x, const Tensor<std::int64_t>& labels) override {
    Generator::check_labels(name(), classes_, x.size(0), labels);
    const Var<float> phi = features->forward(x);
    return (*score)(phi) + sum(phi * (*class_embedding)(labels), {1}, true);
  }

  std::shared_ptr<nn::Sequential> features;
  std::shared_ptr<nn::Linear> score;
  std::shared_ptr<nn::Embedding> class_embedding;

 private:
  index_t classes_;
};

inline GanModels cgan_mnist(index_t latent_dim = 100, index_t num_classes = 10) {
  return {std::make_shared<CganMnistGenerator>(latent_dim, num_classes), std::make_shared<ProjectionDiscriminator>(num_classes),
          {{"model", "cgan_mnist"}, {"latent_dim", std::to_string(latent_dim)}, {"num_classes", std::to_string(num_classes)}}};
}

}  // namespace duel::gan
