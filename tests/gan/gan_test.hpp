// Helpers shared by the GAN tests: a GAN ready to train, random images, and a bit-for-bit
// comparison of everything a checkpoint holds.
#pragma once

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "duel/gan.hpp"
#include "duel/optim/adam.hpp"

namespace duel::test {

// Two networks, an Adam for each (beta1 = 0.5, as in DCGAN) and the trainer that pits them.
struct GanSetup {
  gan::GanModels models;
  optim::Adam opt_g, opt_d;
  gan::AdversarialTrainer trainer;

  explicit GanSetup(gan::GanModels m, gan::TrainerOptions options = {}, double lr = 2e-4)
      : models(std::move(m)),
        opt_g(models.generator->parameters(), lr, {.beta1 = 0.5}),
        opt_d(models.discriminator->parameters(), lr, {.beta1 = 0.5}),
        trainer(*models.generator, *models.discriminator, opt_g, opt_d, options) {}
  GanSetup(const GanSetup&) = delete;  // the trainer refers to this object's optimizers
  GanSetup& operator=(const GanSetup&) = delete;
};

// A batch of images with pixels uniform in [-1, 1].
inline Tensor<float> random_images(const Shape& shape, std::uint64_t seed) {
  Generator gen(seed);
  Tensor<float> t = Tensor<float>::empty(shape);
  uniform_(t, -1, 1, gen);
  return t;
}

// n random 28x28 grey images (pixels 0..255), as the data loader wants them.
inline data::Dataset random_digits(index_t n, std::uint64_t seed) {
  Generator gen(seed);
  data::Dataset d{Tensor<std::uint8_t>::empty({n, 1, 28, 28}), {}};
  for (std::uint8_t& v : d.images) v = static_cast<std::uint8_t>(gen.next_below(256));
  return d;
}

// The lines of a text file, such as train.csv.
inline std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in, "cannot read ", path.string());
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Everything that decides how training goes on: both networks (parameters and buffers), both
// optimizers, the average of G's weights if kept, the trainer's step and noise stream, and the
// default generator.
inline StateDict training_state(gan::AdversarialTrainer& trainer) {
  StateDict s;
  s.merge("G", trainer.generator().state_dict());
  s.merge("D", trainer.discriminator().state_dict());
  s.merge("opt_G", trainer.generator_optimizer().state_dict());
  s.merge("opt_D", trainer.discriminator_optimizer().state_dict());
  if (trainer.ema()) s.merge("G_ema", trainer.ema()->state_dict());
  for (const auto& [key, value] : trainer.state()) s.metadata["trainer." + key] = value;
  const Generator::State rng = default_generator().state();
  s.metadata["default_rng"] = detail::cat(rng.seed, "/", rng.offset);
  return s;
}

// CHECKs that a and b hold the same names in the same order, the same shapes, bit-identical
// values and the same metadata; the message names every entry that differs.
inline void check_identical(const StateDict& a, const StateDict& b) {
  REQUIRE(a.size() == b.size());
  std::string differing;
  auto other = b.begin();
  for (const auto& [name, value] : a) {
    const auto& [other_name, other_value] = *other++;
    const bool same = name == other_name && value.shape() == other_value.shape() &&
                      std::memcmp(value.data(), other_value.data(), sizeof(float) * value.numel()) == 0;
    if (!same) differing += " " + name;
  }
  CHECK_MESSAGE(differing.empty(), "entries that differ:", differing);
  CHECK(a.metadata == b.metadata);
}

}  // namespace duel::test
