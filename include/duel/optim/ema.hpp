// ModelEma: an exponential moving average of a module's weights (a "Polyak average").
//
// During a GAN's duel the generator's weights never settle: each step answers the critic's last
// move, so they circle around a good solution. Their running average sits nearer its centre and
// draws cleaner, more varied images than the weights of any single step, which is why GANs are
// sampled from it (Yazıcı et al. 2019; Karras et al. 2018). After the t-th update
//
//   average <- d * average + (1 - d) * weights,     d = min(decay, (1 + t) / (10 + t))
//
// The warm-up in d (as in TensorFlow's ExponentialMovingAverage with num_updates) lets the average
// forget the random initial weights quickly: d is 0.5 at the first update, 0.99 at the 890th.
// Buffers (batch norm's running statistics) are not averaged but copied from the latest weights.
//
//   optim::ModelEma ema(G, 0.999);
//   ... after each optimizer step on G:  ema.update(G);
//   ema.with_average(G, [&] { samples = G.sample(64, rng); });
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>

#include "duel/nn/module.hpp"

namespace duel::optim {

class ModelEma {
 public:
  ModelEma(const nn::Module& module, double decay) : decay_(decay), average_(module.state_dict()) {
    if (!(decay >= 0 && decay < 1)) throw ValueError(detail::cat("ModelEma: decay must be in [0, 1), got ", decay));
  }

  // Moves the average towards module's current weights and copies its buffers.
  void update(const nn::Module& module) {
    const double t = static_cast<double>(updates_ + 1);
    const float keep = static_cast<float>(std::min(decay_, (1 + t) / (10 + t)));
    for (const auto& [name, p] : module.named_parameters()) {
      auto avg = entry(name, p.value()).as_array();
      avg += (1 - keep) * (p.value().as_array() - avg);  // = keep * avg + (1 - keep) * p
    }
    for (const auto& [name, b] : module.named_buffers()) entry(name, b).copy_(b);
    ++updates_;  // counted once the update went through
  }

  // Runs fn while module holds the averaged weights, then gives it back its own.
  template <class F>
  void with_average(nn::Module& module, F&& fn) const {
    const StateDict own = module.state_dict();
    module.load_state_dict(average_);
    try {
      fn();
    } catch (...) {
      module.load_state_dict(own);
      throw;
    }
    module.load_state_dict(own);
  }

  // The averaged weights under the module's own names, and the number of updates so far.
  StateDict state_dict() const {
    StateDict out;
    for (const auto& [name, t] : average_) out.insert(name, t.clone());
    out.metadata["decay"] = detail::cat(decay_);
    out.metadata["updates"] = std::to_string(updates_);
    return out;
  }

  // Restores state_dict(); every name must be there with its shape, or nothing changes.
  void load_state_dict(const StateDict& state) {
    if (state.empty()) throw ValueError("ModelEma: the state holds no averaged weights (saved without an average?)");
    std::string problems;
    for (const auto& [name, t] : average_) {
      if (!state.contains(name)) problems += "\n  missing: " + name;
      else if (!(state.at(name).shape() == t.shape())) {
        problems += detail::cat("\n  wrong shape: ", name, ": expected ", t.shape(), ", found ", state.at(name).shape());
      }
    }
    if (state.size() != average_.size() && problems.empty()) problems = "\n  entries that the module does not have";
    const auto updates = state.metadata.find("updates");
    std::int64_t count = -1;
    if (updates != state.metadata.end()) {
      const std::string& text = updates->second;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
      if (ec != std::errc() || end != text.data() + text.size()) count = -1;
    }
    if (count < 0) problems += "\n  no valid update count in the metadata";
    if (!problems.empty()) throw ValueError("ModelEma: state does not fit the average" + problems);
    updates_ = count;
    for (const auto& [name, t] : average_) {
      Tensor<float> dst = t;  // shares t's buffer
      dst.copy_(state.at(name));
    }
  }

  double decay() const { return decay_; }
  std::int64_t updates() const { return updates_; }
  const StateDict& average() const { return average_; }

 private:
  Tensor<float>& entry(const std::string& name, const Tensor<float>& like) {
    Tensor<float>& t = average_.at(name);
    if (!(t.shape() == like.shape())) {
      throw ShapeError(detail::cat("ModelEma: ", name, " is ", like.shape(), " but its average is ", t.shape()));
    }
    return t;
  }

  double decay_;
  StateDict average_;
  std::int64_t updates_ = 0;
};

}  // namespace duel::optim
