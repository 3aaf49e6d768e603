// The two players of a GAN.
//
// A Generator (the forger) maps latent noise z to images; a Discriminator (the critic) maps
// images to one score per image: a logit, "how real does this look". Both are ordinary modules;
// these bases add what training and sampling need to know about them.
//
// A conditional GAN also gives both players a class label per image ("draw a 7", "is this a real
// 7?"). Conditional players report num_classes() > 0 and override generate / judge; for the others
// those simply call forward and refuse labels. The trainer always calls generate and judge.
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

  // Classes a conditional generator draws (0: unconditional).
  virtual index_t num_classes() const { return 0; }

  // Images for latent vectors z [N, ...] and, when conditional, labels [N].
  virtual Var<float> generate(const Var<float>& z, const Tensor<std::int64_t>& labels) {
    check_labels(name(), num_classes(), z.size(0), labels);
    return forward(z);
  }

  // n images from fresh noise (of the given classes, if conditional), without recording a graph.
  Tensor<float> sample(index_t n, duel::Generator& rng, const Tensor<std::int64_t>& labels = {}) {
    NoGradGuard no_grad;
    return generate(Var<float>(sample_latent(n, rng)), labels).value();
  }

  // Labels must be given exactly when the player is conditional, one in [0, classes) per image.
  static void check_labels(const std::string& who, index_t classes, index_t n, const Tensor<std::int64_t>& labels) {
    if (classes == 0) {
      if (labels.numel() > 0) throw ValueError(who + " is unconditional: it takes no labels");
      return;
    }
    if (!(labels.shape() == Shape{n})) {
      throw ShapeError(duel::detail::cat(who, " is conditional: it needs one label per image ([", n, "]), got ", labels.shape()));
    }
    for (std::int64_t y : labels) {
      if (y < 0 || y >= classes) throw ValueError(duel::detail::cat(who, ": label ", y, " is not in [0, ", classes, ")"));
    }
  }
};

class Discriminator : public nn::Module {
 public:
  // The shape of one image it judges, [C, H, W].
  virtual Shape image_shape() const = 0;

  // Classes a conditional critic knows (0: unconditional).
  virtual index_t num_classes() const { return 0; }

  // One logit per image x [N, C, H, W] (per group of images for a packing critic such as
  // DcganMnistDiscriminator(pack)), given its label [N] when conditional.
  virtual Var<float> judge(const Var<float>& x, const Tensor<std::int64_t>& labels) {
    Generator::check_labels(name(), num_classes(), x.size(0), labels);
    return forward(x);
  }
};

// A generator and a discriminator built to play against each other, plus the settings that
// rebuild them (saved in checkpoints, so that a file alone says what network it holds).
struct GanModels {
  std::shared_ptr<Generator> generator;
  std::shared_ptr<Discriminator> discriminator;
  std::map<std::string, std::string> config;  // e.g. model=dcgan_mnist, latent_dim=100
};

}  // namespace duel::gan
