// DCGAN for 64x64 images (Radford, Metz & Chintala 2015), as in pytorch/examples/dcgan, with the
// width configurable (ngf = ndf = width, 64 in the paper) and no convolution biases:
//
//   G: z [100, 1, 1] -> ConvT(100, 8w, 4, 1, 0) BN ReLU -> [8w, 4, 4] -> ConvT(8w, 4w, 4, 2, 1) BN ReLU -> [4w, 8, 8]
//      -> ConvT(4w, 2w) BN ReLU -> [2w, 16, 16] -> ConvT(2w, w) BN ReLU -> [w, 32, 32] -> ConvT(w, C) Tanh -> [C, 64, 64]
//   D: the mirror image with Conv(.., 4, 2, 1) and LeakyReLU(0.2), ending in Conv(8w, 1, 4, 1, 0) -> one logit
#pragma once

#include "duel/gan/networks.hpp"

namespace duel::gan {

struct Dcgan64Options {
  index_t latent_dim = 100;
  index_t width = 64;    // channels of the widest (outermost) layers, ngf = ndf
  index_t channels = 3;  // 3 for RGB, 1 for grey
};

class Dcgan64Generator : public Generator {
 public:
  explicit Dcgan64Generator(Dcgan64Options o = {}) : o_(o) {
    const index_t w = o.width;
    const ConvTranspose2dOptions up{.stride = 2, .padding = 1};
    main = register_module("main", std::make_shared<nn::Sequential>(
        nn::ConvTranspose2d(o.latent_dim, 8 * w, 4, {}, false), nn::BatchNorm2d(8 * w), nn::ReLU(),
        nn::ConvTranspose2d(8 * w, 4 * w, 4, up, false), nn::BatchNorm2d(4 * w), nn::ReLU(),
        nn::ConvTranspose2d(4 * w, 2 * w, 4, up, false), nn::BatchNorm2d(2 * w), nn::ReLU(),
        nn::ConvTranspose2d(2 * w, w, 4, up, false), nn::BatchNorm2d(w), nn::ReLU(),
        nn::ConvTranspose2d(w, o.channels, 4, up, false), nn::Tanh()));
    nn::init::dcgan_(*this);
  }
  std::string name() const override { return "Dcgan64Generator"; }
  Shape latent_shape() const override { return {o_.latent_dim, 1, 1}; }
  Shape image_shape() const override { return {o_.channels, 64, 64}; }
  Var<float> forward(const Var<float>& z) override { return main->forward(z); }

  std::shared_ptr<nn::Sequential> main;

 private:
  Dcgan64Options o_;
};

class Dcgan64Discriminator : public Discriminator {
 public:
  explicit Dcgan64Discriminator(Dcgan64Options o = {}) : o_(o) {
    const index_t w = o.width;
    const Conv2dOptions down{.stride = 2, .padding = 1};
    main = register_module("main", std::make_shared<nn::Sequential>(
        nn::Conv2d(o.channels, w, 4, down, false), nn::LeakyReLU(0.2),
        nn::Conv2d(w, 2 * w, 4, down, false), nn::BatchNorm2d(2 * w), nn::LeakyReLU(0.2),
        nn::Conv2d(2 * w, 4 * w, 4, down, false), nn::BatchNorm2d(4 * w), nn::LeakyReLU(0.2),
        nn::Conv2d(4 * w, 8 * w, 4, down, false), nn::BatchNorm2d(8 * w), nn::LeakyReLU(0.2),
        nn::Conv2d(8 * w, 1, 4, {}, false), nn::Flatten()));
    nn::init::dcgan_(*this);
  }
  std::string name() const override { return "Dcgan64Discriminator"; }
  Shape image_shape() const override { return {o_.channels, 64, 64}; }
  Var<float> forward(const Var<float>& x) override { return main->forward(x); }

  std::shared_ptr<nn::Sequential> main;

 private:
  Dcgan64Options o_;
};

inline GanModels dcgan64(Dcgan64Options o = {}) {
  return {std::make_shared<Dcgan64Generator>(o), std::make_shared<Dcgan64Discriminator>(o),
          {{"model", "dcgan64"}, {"latent_dim", std::to_string(o.latent_dim)}, {"width", std::to_string(o.width)},
           {"channels", std::to_string(o.channels)}}};
}

}  // namespace duel::gan
