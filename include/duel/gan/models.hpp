// The ready-made GANs, and rebuilding one from the config a checkpoint stores.
#pragma once

#include <map>
#include <string>

#include "duel/gan/models/cgan_mnist.hpp"
#include "duel/gan/models/dcgan64.hpp"
#include "duel/gan/models/dcgan_mnist.hpp"
#include "duel/gan/models/mlp_gan.hpp"

namespace duel::gan {

// config: model = mlp_gan | dcgan_mnist | dcgan64 | cgan_mnist, latent_dim, for dcgan_mnist pack
// (1 in checkpoints older than it), for dcgan64 width and channels, for cgan_mnist num_classes.
inline GanModels make_models(const std::map<std::string, std::string>& config) {
  auto number = [&config](const std::string& key, index_t fallback) {
    auto it = config.find(key);
    return it == config.end() ? fallback : static_cast<index_t>(std::stoll(it->second));
  };
  auto it = config.find("model");
  const std::string model = it == config.end() ? "" : it->second;
  const index_t latent = number("latent_dim", 100);
  if (model == "mlp_gan") return mlp_gan(latent);
  if (model == "dcgan_mnist") return dcgan_mnist(latent, number("pack", 1));
  if (model == "dcgan64") return dcgan64({latent, number("width", 64), number("channels", 3)});
  if (model == "cgan_mnist") return cgan_mnist(latent, number("num_classes", 10));
  throw ValueError("unknown model '" + model + "' (expected mlp_gan, dcgan_mnist, dcgan64 or cgan_mnist)");
}

}  // namespace duel::gan
