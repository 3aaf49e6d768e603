// DCGAN for 28x28 digits: the reference architecture of ../reference (and the main demo).
//
//   G: z [100] -> Linear(100, 6272) BN ReLU -> [128, 7, 7] -> ConvT(128, 64, 4, 2, 1) BN ReLU -> [64, 14, 14]
//               -> ConvT(64, 1, 4, 2, 1) Tanh -> [1, 28, 28]
//   D: [1, 28, 28] -> Conv(1, 64, 4, 2, 1) LReLU(0.2) -> [64, 14, 14] -> Conv(64, 128, 4, 2, 1) BN LReLU
//               -> [128, 7, 7] -> Flatten -> Linear(6272, 1) -> one logit
// Initialised with the DCGAN rule: convolutions N(0, 0.02), batch-norm scales N(1, 0.02).
#pragma once

#include "duel/gan/networks.hpp"

namespace duel::gan {

class DcganMnistGenerator : public Generator {
 public:
  explicit DcganMnistGenerator(index_t latent_dim = 100) : latent_dim_(latent_dim) {
    main = register_module("main", std::make_shared<nn::Sequential>(
        nn::Linear(latent_dim, 128 * 7 * 7), nn::BatchNorm1d(128 * 7 * 7), nn::ReLU(), nn::Unflatten(1, {128, 7, 7}),
        nn::ConvTranspose2d(128, 64, 4, {.stride = 2, .padding = 1}), nn::BatchNorm2d(64), nn::ReLU(),
        nn::ConvTranspose2d(64, 1, 4, {.stride = 2, .padding = 1}), nn::Tanh()));
    nn::init::dcgan_(*this);
  }
  std::string name() const override { return "DcganMnistGenerator"; }
  Shape latent_shape() const override { return {latent_dim_}; }
  Shape image_shape() const override { return {1, 28, 28}; }
  Var<float> forward(const Var<float>& z) override { return main->forward(z); }

  std::shared_ptr<nn::Sequential> main;

 private:
  index_t latent_dim_;
};

class DcganMnistDiscriminator : public Discriminator {
 public:
  DcganMnistDiscriminator() {
    main = register_module("main", std::make_shared<nn::Sequential>(
        nn::Conv2d(1, 64, 4, {.stride = 2, .padding = 1}), nn::LeakyReLU(0.2),
        nn::Conv2d(64, 128, 4, {.stride = 2, .padding = 1}), nn::BatchNorm2d(128), nn::LeakyReLU(0.2), nn::Flatten(),
        nn::Linear(128 * 7 * 7, 1)));
    nn::init::dcgan_(*this);
  }
  std::string name() const override { return "DcganMnistDiscriminator"; }
  Shape image_shape() const override { return {1, 28, 28}; }
  Var<float> forward(const Var<float>& x) override { return main->forward(x); }

  std::shared_ptr<nn::Sequential> main;
};

inline GanModels dcgan_mnist(index_t latent_dim = 100) {
  return {std::make_shared<DcganMnistGenerator>(latent_dim), std::make_shared<DcganMnistDiscriminator>(),
          {{"model", "dcgan_mnist"}, {"latent_dim", std::to_string(latent_dim)}}};
}

}  // namespace duel::gan
