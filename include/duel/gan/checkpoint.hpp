// Checkpoints: a whole training run in one safetensors file.
//
//   G.<name>, D.<name>              both networks' parameters and buffers (PyTorch names)
//   G_ema.<name>                    the average of G's weights, when the trainer keeps one
//   opt_G.state.<i>.<buffer>, ...   both optimizers' moment estimates
//   fixed_noise                     the latent batch the sample grids are drawn from
//   metadata                        step counts, random stream positions, learning rates, and the
//                                   model config (model=dcgan_mnist, latent_dim=100, ...)
//
// The file is written to a temporary name and renamed over the old one, so a crash mid-save leaves
// the previous checkpoint intact. Being safetensors, a generator trained here loads in Python.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "duel/gan/trainer.hpp"
#include "duel/io/safetensors.hpp"

namespace duel::gan {

inline constexpr const char* checkpoint_format = "duel-gan-checkpoint-1";

namespace detail {

inline void add_metadata(StateDict& state, const std::string& prefix, const std::map<std::string, std::string>& items) {
  for (const auto& [k, v] : items) state.metadata[prefix + k] = v;
}

inline std::map<std::string, std::string> metadata_under(const StateDict& state, const std::string& prefix) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : state.metadata) {
    if (k.rfind(prefix, 0) == 0) out[k.substr(prefix.size())] = v;
  }
  return out;
}

inline void check_format(const StateDict& state, const std::filesystem::path& path) {
  auto it = state.metadata.find("format");
  if (it == state.metadata.end() || it->second != checkpoint_format) {
    throw IoError(duel::detail::cat("'", path.string(), "' is not a Duel GAN checkpoint (metadata format is '",
                                    it == state.metadata.end() ? "" : it->second, "', expected '", checkpoint_format, "')"));
  }
}

}  // namespace detail

inline void save_checkpoint(const std::filesystem::path& path, AdversarialTrainer& trainer,
                            const std::map<std::string, std::string>& config, const Tensor<float>& fixed_noise) {
  StateDict state;
  state.merge("G", trainer.generator().state_dict());
  state.merge("D", trainer.discriminator().state_dict());
  if (trainer.ema()) state.merge("G_ema", trainer.ema()->state_dict());
  state.merge("opt_G", trainer.generator_optimizer().state_dict());
  state.merge("opt_D", trainer.discriminator_optimizer().state_dict());
  if (fixed_noise.numel() > 0) state.insert("fixed_noise", fixed_noise.clone());
  state.metadata["format"] = checkpoint_format;
  detail::add_metadata(state, "trainer.", trainer.state());
  const duel::Generator::State rng = default_generator().state();
  state.metadata["default_rng.seed"] = std::to_string(rng.seed);
  state.metadata["default_rng.offset"] = std::to_string(rng.offset);
  detail::add_metadata(state, "config.", config);
  io::save_safetensors(path, state);
}

// The model config stored in a checkpoint (what gan::make_models needs to rebuild the networks).
inline std::map<std::string, std::string> checkpoint_config(const StateDict& state) {
  return detail::metadata_under(state, "config.");
}

// The same, read from a file; a file that is not a Duel checkpoint is refused with an IoError
// naming it, before anyone tries to build a model from an empty config.
inline std::map<std::string, std::string> checkpoint_config(const std::filesystem::path& path) {
  const StateDict state = io::load_safetensors(path);
  detail::check_format(state, path);
  return checkpoint_config(state);
}

// Restores networks, optimizers, the trainer's step and noise stream and the default generator.
// Returns the fixed noise stored with it. A checkpoint of another architecture is refused (a
// ValueError) with the list of every mismatching name and shape, a damaged or foreign file with an
// IoError; either way nothing is changed.
inline Tensor<float> load_checkpoint(const std::filesystem::path& path, AdversarialTrainer& trainer) {
  const StateDict state = io::load_safetensors(path);
  detail::check_format(state, path);
  const std::map<std::string, std::string> trainer_before = trainer.state();
  duel::Generator::State rng;
  try {  // the counters first, so that a damaged file is refused before anything changes
    trainer.load_state(detail::metadata_under(state, "trainer."));
    rng = {std::stoull(state.metadata.at("default_rng.seed")), std::stoull(state.metadata.at("default_rng.offset"))};
  } catch (const std::logic_error& e) {  // std::out_of_range for a missing key, invalid_argument for a non-number
    trainer.load_state(trainer_before);
    throw IoError(duel::detail::cat("checkpoint '", path.string(), "': a step count or random stream position in its ",
                                    "metadata is missing or not a number (", e.what(), ")"));
  }
  struct Part {
    const char* prefix;
    std::function<StateDict()> save;
    std::function<void(const StateDict&)> load;
  };
  std::vector<Part> parts{
      {"G", [&] { return trainer.generator().state_dict(); }, [&](const StateDict& s) { trainer.generator().load_state_dict(s); }},
      {"D", [&] { return trainer.discriminator().state_dict(); }, [&](const StateDict& s) { trainer.discriminator().load_state_dict(s); }},
      {"opt_G", [&] { return trainer.generator_optimizer().state_dict(); },
       [&](const StateDict& s) { trainer.generator_optimizer().load_state_dict(s); }},
      {"opt_D", [&] { return trainer.discriminator_optimizer().state_dict(); },
       [&](const StateDict& s) { trainer.discriminator_optimizer().load_state_dict(s); }}};
  if (optim::ModelEma* ema = trainer.ema()) {
    parts.push_back({"G_ema", [ema] { return ema->state_dict(); }, [ema](const StateDict& s) { ema->load_state_dict(s); }});
  }
  std::vector<StateDict> before;
  std::string problems;
  for (const Part& part : parts) {  // load every part, collecting all complaints
    before.push_back(part.save());
    try {
      part.load(state.sub(part.prefix));
    } catch (const Error& e) {
      problems += duel::detail::cat("\n", part.prefix, ": ", e.what());
    }
  }
  if (!problems.empty()) {  // put back what did load, so that a refused checkpoint changes nothing
    for (std::size_t i = 0; i < parts.size(); ++i) parts[i].load(before[i]);
    trainer.load_state(trainer_before);
    throw ValueError(duel::detail::cat("checkpoint '", path.string(), "' does not fit these networks:", problems));
  }
  default_generator().set_state(rng);
  return state.contains("fixed_noise") ? state.at("fixed_noise") : Tensor<float>();
}

// Loads only the generator's weights into G, for sampling from a finished run: the average of its
// weights when the run kept one (it draws the better pictures), unless average is false.
inline void load_generator(const std::filesystem::path& path, Generator& G, bool average = true) {
  const StateDict state = io::load_safetensors(path);
  detail::check_format(state, path);
  const StateDict averaged = state.sub("G_ema");
  G.load_state_dict(average && !averaged.empty() ? averaged : state.sub("G"));
}

}  // namespace duel::gan
