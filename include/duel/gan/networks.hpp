// The two players of a GAN.
//
// A Generator (the forger) maps latent noise z to images; a Discriminator (the critic) maps
// images to one score per image: a logit, "how real does this look". Both are ordinary modules;
// these bases add what training and sampling need to know about them.
#pragma once

#include <map>
#include <string>

#include "duel/nn.hpp"

namespace duel::gan {

class Generator : public nn::Module {
 public:
  // The shape of one latent vector: [latent_dim], or [latent_dim, 1, 1] for convolutional generators.
  virtual Shape latent_shape() const = 0;
  // The shape of one generated image, [C, H, W]; images are in [-1, 1].
  virtual Shape image_shape() const = 0;

  // A batch of n latent vectors from N(0, 1).
  Tensor<float> sample_latent(index_t n, duel::Generator& rng) const {
    Shape s{n};
    for (index_t d : latent_shape()) s.push_back(d);
    return randn<float>(s, rng);
  }

  // n images from fresh noise, without recording a graph (for pictures and evaluation).
  Tensor<float> sample(index_t n, duel::Generator& rng) {
    NoGradGuard no_grad;
    return forward(Var<float>(sample_latent(n, rng))).value();
  }
};

class Discriminator : public nn::Module {
 public:
  // The shape of one image it judges, [C, H, W].
  virtual Shape image_shape() const = 0;
};

// A generator and a discriminator built to play against each other, plus the settings that
// rebuild them (saved in checkpoints, so that a file alone says what network it holds).
struct GanModels {
  std::shared_ptr<Generator> generator;
  std::shared_ptr<Discriminator> discriminator;
  std::map<std::string, std::string> config;  // e.g. model=dcgan_mnist, latent_dim=100
};

}  // namespace duel::gan
