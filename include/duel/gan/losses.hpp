// The scores the two players are trained on, and the gradient penalties that keep the critic smooth.
//
// With r = D(x) on real images and f = D(G(z)) on fakes (logits):
//   non-saturating (Goodfellow et al.):  L_D = softplus(-r) + softplus(f)   L_G = softplus(-f)
//       i.e. BCE with targets 1 for real and 0 for fake; the generator maximises log D(G(z)) rather
//       than minimising log(1 - D(G(z))), whose gradient vanishes exactly when G is losing.
//   hinge (Miyato et al.):      L_D = relu(1 - r) + relu(1 + f)    L_G = -f
//   wasserstein (Arjovsky et al.): L_D = f - r                     L_G = -f     (use with a penalty)
//   least squares (Mao et al.):   L_D = ((r - 1)^2 + f^2) / 2      L_G = (f - 1)^2 / 2
// Each is averaged over the batch. Label smoothing replaces the real target 1 by 1 - s.
#pragma once

#include <functional>
#include <string>

#include "duel/gan/networks.hpp"

namespace duel::gan {

enum class GanLoss { non_saturating, hinge, wasserstein, least_squares };

inline GanLoss parse_gan_loss(const std::string& name) {
  if (name == "bce" || name == "non_saturating") return GanLoss::non_saturating;
  if (name == "hinge") return GanLoss::hinge;
  if (name == "wasserstein" || name == "wgan") return GanLoss::wasserstein;
  if (name == "lsgan" || name == "least_squares") return GanLoss::least_squares;
  throw ValueError("unknown GAN loss '" + name + "' (expected bce, hinge, wgan or lsgan)");
}

// The critic's loss is a sum of a term on the real scores and a term on the fake ones. Kept apart,
// the two halves can go backward one at a time (see AdversarialTrainer::step).
inline Var<float> discriminator_loss_real(GanLoss loss, const Var<float>& real, double label_smoothing = 0) {
  switch (loss) {
    case GanLoss::non_saturating: return binary_cross_entropy_with_logits(real, 1.0 - label_smoothing);
    case GanLoss::hinge: return hinge_loss(real, 1.0);
    case GanLoss::wasserstein: return -mean(real);
    case GanLoss::least_squares: return mean(pow(real - (1.0 - label_smoothing), 2)) * 0.5;
  }
  throw ValueError("discriminator_loss: unknown loss");
}

inline Var<float> discriminator_loss_fake(GanLoss loss, const Var<float>& fake) {
  switch (loss) {
    case GanLoss::non_saturating: return binary_cross_entropy_with_logits(fake, 0.0);
    case GanLoss::hinge: return hinge_loss(fake, -1.0);
    case GanLoss::wasserstein: return mean(fake);
    case GanLoss::least_squares: return mean(pow(fake, 2)) * 0.5;
  }
  throw ValueError("discriminator_loss: unknown loss");
}

inline Var<float> discriminator_loss(GanLoss loss, const Var<float>& real, const Var<float>& fake, double label_smoothing = 0) {
  return discriminator_loss_real(loss, real, label_smoothing) + discriminator_loss_fake(loss, fake);
}

inline Var<float> generator_loss(GanLoss loss, const Var<float>& fake) {
  switch (loss) {
    case GanLoss::non_saturating: return binary_cross_entropy_with_logits(fake, 1.0);
    case GanLoss::hinge:
    case GanLoss::wasserstein: return -mean(fake);
    case GanLoss::least_squares: return mean(pow(fake - 1.0, 2)) * 0.5;
  }
  throw ValueError("generator_loss: unknown loss");
}

using Critic = std::function<Var<float>(const Var<float>&)>;

// The squared norm of each image's gradient of the critic's score: || d D(x_i) / d x_i ||^2,
// computed with create_graph so that a penalty built from it trains D.
inline Var<float> critic_gradient_norm2(const Critic& D, const Var<float>& images) {
  Var<float> x = images.requires_grad() ? images : images.detach().set_requires_grad(true);
  Var<float> g = grad<float>({sum(D(x))}, {x}, {}, {.create_graph = true})[0];
  std::vector<int> dims;
  for (int d = 1; d < g.rank(); ++d) dims.push_back(d);
  return sum(g * g, dims);
}

// R1 (Mescheder et al. 2018): E ||grad D(x)||^2 on real images. Multiply by gamma / 2.
inline Var<float> r1_penalty(const Critic& D, const Tensor<float>& real) {
  return mean(critic_gradient_norm2(D, Var<float>(real.clone(), true)));
}

// WGAN-GP (Gulrajani et al. 2017): E (||grad D(x_hat)|| - 1)^2 at random points x_hat on the
// lines between real and fake images. Multiply by lambda (10 in the paper).
inline Var<float> gradient_penalty(const Critic& D, const Tensor<float>& real, const Tensor<float>& fake, duel::Generator& rng) {
  if (!(real.shape() == fake.shape())) throw ShapeError(duel::detail::cat("gradient_penalty: real ", real.shape(), " and fake ", fake.shape(), " differ"));
  Tensor<float> mix = Tensor<float>::empty(real.shape());
  const index_t n = real.size(0), per_image = real.numel() / std::max<index_t>(n, 1);
  for (index_t i = 0; i < n; ++i) {  // x_hat = a x_real + (1 - a) x_fake, one a ~ U[0, 1) per image
    const auto a = static_cast<float>(rng.next_uniform());
    for (index_t k = i * per_image; k < (i + 1) * per_image; ++k) mix.data()[k] = a * real.data()[k] + (1 - a) * fake.data()[k];
  }
  Var<float> norm = sqrt(critic_gradient_norm2(D, Var<float>(mix, true)) + 1e-12);
  return mean(pow(norm - 1.0, 2));
}

}  // namespace duel::gan
