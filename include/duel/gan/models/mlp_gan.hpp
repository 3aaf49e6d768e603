// The fully connected GAN of Goodfellow et al., for 28x28 images: the simplest GAN that learns digits.
//
//   G: z [100] -> Linear(100, 256) LReLU(0.2) -> Linear(256, 512) LReLU -> Linear(512, 784) Tanh -> [1, 28, 28]
//   D: [1, 28, 28] flattened -> Linear(784, 512) LReLU(0.2) -> Linear(512, 256) LReLU -> Linear(256, 1)
// PyTorch's default initialisation.
#pragma once

#include "duel/gan/networks.hpp"

namespace duel::gan {

class MlpGenerator : public Generator {
 public:
  explicit MlpGenerator(index_t latent_dim = 100) : latent_dim_(latent_dim) {
    main = register_module("main", std::make_shared<nn::Sequential>(
        nn::Linear(latent_dim, 256), nn::LeakyReLU(0.2), nn::Linear(256, 512), nn::LeakyReLU(0.2),
        nn::Linear(512, 784), nn::Tanh(), nn::Unflatten(1, {1, 28, 28})));
  }
  std::string name() const override { return "MlpGenerator"; }
  Shape latent_shape() const override { return {latent_dim_}; }
  Shape image_shape() const override { return {1, 28, 28}; }
  Var<float> forward(const Var<float>& z) override { return main->forward(z); }

  std::shared_ptr<nn::Sequential> main;

 private:
  index_t latent_dim_;
};

class MlpDiscriminator : public Discriminator {
 public:
  MlpDiscriminator() {
    main = register_module("main", std::make_shared<nn::Sequential>(
        nn::Linear(784, 512), nn::LeakyReLU(0.2), nn::Linear(512, 256), nn::LeakyReLU(0.2), nn::Linear(256, 1)));
  }
  std::string name() const override { return "MlpDiscriminator"; }
  Shape image_shape() const override { return {1, 28, 28}; }
  // Images are flattened outside main, so that main's names match the reference (main.0.weight ...).
  Var<float> forward(const Var<float>& x) override { return main->forward(flatten(x, 1)); }

  std::shared_ptr<nn::Sequential> main;
};

inline GanModels mlp_gan(index_t latent_dim = 100) {
  return {std::make_shared<MlpGenerator>(latent_dim), std::make_shared<MlpDiscriminator>(),
          {{"model", "mlp_gan"}, {"latent_dim", std::to_string(latent_dim)}}};
}

}  // namespace duel::gan
