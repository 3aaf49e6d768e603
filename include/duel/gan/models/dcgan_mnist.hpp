// DCGAN for 28x28 digits: the reference architecture of ../reference (the main demo trains it with pack = 2).
//
//   G: z [100] -> Linear(100, 6272) BN ReLU -> [128, 7, 7] -> ConvT(128, 64, 4, 2, 1) BN ReLU -> [64, 14, 14]
//               -> ConvT(64, 1, 4, 2, 1) Tanh -> [1, 28, 28]
//   D: [1, 28, 28] -> Conv(1, 64, 4, 2, 1) LReLU(0.2) -> [64, 14, 14] -> Conv(64, 128, 4, 2, 1) BN LReLU
//               -> [128, 7, 7] -> Flatten -> Linear(6272, 1) -> one logit
// Initialised with the DCGAN rule: convolutions N(0, 0.02), batch-norm scales N(1, 0.02).
//
// With pack > 1 the critic is a PacGAN critic (Lin et al. 2018): it judges groups of `pack` images
// stacked as channels, [N, 1, 28, 28] -> [N / pack, pack, 28, 28], one logit per group (its first
// convolution takes `pack` channels; nothing else changes). A group of fakes from a generator that
// keeps drawing the same few digits looks unlike a group of varied real ones, so packing makes
// missing digits cost the generator. It also divides the critic's work by `pack`.
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
  explicit DcganMnistDiscriminator(index_t pack = 1) : pack_(pack) {
    if (pack < 1) throw ValueError(duel::detail::cat("DcganMnistDiscriminator: pack must be >= 1, got ", pack));
    main = register_module("main", std::make_shared<nn::Sequential>(
        nn::Conv2d(pack, 64, 4, {.stride = 2, .padding = 1}), nn::LeakyReLU(0.2),
        nn::Conv2d(64, 128, 4, {.stride = 2, .padding = 1}), nn::BatchNorm2d(128), nn::LeakyReLU(0.2), nn::Flatten(),
        nn::Linear(128 * 7 * 7, 1)));
    nn::init::dcgan_(*this);
  }
  std::string name() const override { return "DcganMnistDiscriminator"; }
  Shape image_shape() const override { return {1, 28, 28}; }
  // x [N, 1, 28, 28] -> [N / pack, 1] logits.
  Var<float> forward(const Var<float>& x) override {
    if (pack_ == 1) return main->forward(x);
    if (x.rank() != 4 || x.size(0) % pack_ != 0) {
      throw ShapeError(duel::detail::cat(name(), ": judges groups of ", pack_, " images, but got ", x.shape(),
                                   " (the batch size must be a multiple of ", pack_, ")"));
    }
    return main->forward(reshape(x, Shape{x.size(0) / pack_, pack_ * x.size(1), x.size(2), x.size(3)}));
  }

  std::shared_ptr<nn::Sequential> main;

 private:
  index_t pack_;
};

inline GanModels dcgan_mnist(index_t latent_dim = 100, index_t pack = 1) {
  return {std::make_shared<DcganMnistGenerator>(latent_dim), std::make_shared<DcganMnistDiscriminator>(pack),
          {{"model", "dcgan_mnist"}, {"latent_dim", std::to_string(latent_dim)}, {"pack", std::to_string(pack)}}};
}

}  // namespace duel::gan
