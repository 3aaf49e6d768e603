// Walking the latent space: images along straight lines between latent vectors. If the generator
// has learnt a smooth map, the images change gradually (a 1 thickening into a 7), rather than
// jumping: a picture of what the latent space means.
#pragma once

#include "duel/gan/networks.hpp"

namespace duel::gan {

// For latent batches from and to [R, ...], the R x steps latent vectors
// (1 - t) from[r] + t to[r] with t = 0, 1/(steps-1), ..., 1, row by row.
inline Tensor<float> interpolate_latents(const Tensor<float>& from, const Tensor<float>& to, index_t steps) {
  if (!(from.shape() == to.shape()) || from.rank() < 1) {
    throw ShapeError(duel::detail::cat("interpolate_latents: end points ", from.shape(), " and ", to.shape(), " differ"));
  }
  if (steps < 2) throw ValueError(duel::detail::cat("interpolate_latents: need at least 2 steps, got ", steps));
  const index_t rows = from.size(0), size = from.numel() / std::max<index_t>(rows, 1);
  Shape s = from.shape();
  s[0] = rows * steps;
  Tensor<float> z = Tensor<float>::empty(s);
  for (index_t r = 0; r < rows; ++r) {
    for (index_t k = 0; k < steps; ++k) {
      const float t = static_cast<float>(k) / static_cast<float>(steps - 1);
      for (index_t j = 0; j < size; ++j) {
        z.data()[(r * steps + k) * size + j] = (1 - t) * from.data()[r * size + j] + t * to.data()[r * size + j];
      }
    }
  }
  return z;
}

// `rows` walks of `steps` images each, from fresh end points; for a conditional generator, walk r
// keeps the class labels[r] throughout.
inline Tensor<float> latent_walks(Generator& G, index_t rows, index_t steps, duel::Generator& rng,
                                  const Tensor<std::int64_t>& labels = {}) {
  const Tensor<float> from = G.sample_latent(rows, rng), to = G.sample_latent(rows, rng);
  Tensor<std::int64_t> per_image;
  if (labels.numel() > 0) {
    per_image = Tensor<std::int64_t>::empty({rows * steps});
    for (index_t i = 0; i < rows * steps; ++i) per_image.data()[i] = labels.data()[i / steps];
  }
  NoGradGuard no_grad;
  return G.generate(Var<float>(interpolate_latents(from, to, steps)), per_image).value();
}

}  // namespace duel::gan
