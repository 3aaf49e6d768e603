// Optimizer: the base of SGD, Adam and AdamW (torch.optim).
//
// An optimizer holds the parameters it updates, a learning rate and, per parameter, named state
// buffers (momentum, moment estimates) and a step count. step() reads each parameter's .grad and
// changes its value in place; parameters without a gradient are skipped, as in PyTorch.
// state_dict() captures everything needed to resume training exactly.
#pragma once

#include <charconv>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "duel/nn/module.hpp"

namespace duel::optim {

class Optimizer {
 public:
  Optimizer(std::vector<Var<float>> params, double lr) : params_(std::move(params)), lr_(lr) {
    if (!(lr >= 0)) throw ValueError(detail::cat("optimizer: learning rate must be >= 0, got ", lr));
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (!params_[i].defined() || !params_[i].requires_grad()) {
        throw ValueError(detail::cat("optimizer: parameter ", i, " does not require grad"));
      }
    }
    state_.resize(params_.size());
  }
  virtual ~Optimizer() = default;

  // Updates every parameter that has a gradient.
  void step() {
    NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      if (!params_[i].grad().defined()) continue;
      ++state_[i].step;
      update(i, params_[i].value().as_array(), params_[i].grad().value().as_array());
    }
  }

  void zero_grad() {
    for (Var<float>& p : params_) p.zero_grad();
  }

  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }
  const std::vector<Var<float>>& parameters() const { return params_; }

  // Buffers as "state.<i>.<name>", step counts and hyperparameters as metadata.
  StateDict state_dict() const {
    StateDict out;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      for (const auto& [n, t] : state_[i].buffers) out.insert(detail::cat("state.", i, ".", n), t.clone());
      out.metadata[detail::cat("state.", i, ".step")] = std::to_string(state_[i].step);
    }
    for (const auto& [k, v] : hyperparameters()) out.metadata[k] = detail::cat(v);
    out.metadata["lr"] = number_string(lr_);
    return out;
  }

  // Restores buffers, step counts and the learning rate; every buffer must fit its parameter.
  void load_state_dict(const StateDict& state) {
    std::vector<State> loaded(params_.size());
    std::string problems;
    for (const auto& [name, t] : state) {
      std::size_t i = 0;  // the name is state.<i>.<buffer>
      const auto dot = name.find('.', 6);
      const char* digits = name.c_str() + 6;
      const bool parsed = name.rfind("state.", 0) == 0 && dot != std::string::npos &&
                          std::from_chars(digits, name.c_str() + dot, i).ptr == name.c_str() + dot;
      if (!parsed || i >= params_.size()) {
        problems += detail::cat("\n  unexpected entry '", name, "'");
      } else if (!(t.shape() == params_[i].shape())) {
        problems += detail::cat("\n  ", name, ": expected ", params_[i].shape(), ", found ", t.shape());
      } else {
        loaded[i].buffers[name.substr(dot + 1)] = t.clone();
      }
    }
    for (std::size_t i = 0; i < params_.size(); ++i) {
      auto it = state.metadata.find(detail::cat("state.", i, ".step"));
      if (it == state.metadata.end()) problems += detail::cat("\n  missing step count of parameter ", i);
      else loaded[i].step = std::stoll(it->second);
    }
    if (!problems.empty()) throw ValueError("optimizer load_state_dict: state does not fit these parameters:" + problems);
    if (auto it = state.metadata.find("lr"); it != state.metadata.end()) lr_ = std::stod(it->second);
    state_ = std::move(loaded);
  }

 protected:
  using Array = Eigen::Map<Eigen::Array<float, Eigen::Dynamic, 1>, Eigen::Aligned64>;
  using ConstArray = Eigen::Map<const Eigen::Array<float, Eigen::Dynamic, 1>, Eigen::Aligned64>;

  // Applies one update to parameter i (its step count already incremented).
  virtual void update(std::size_t i, Array param, ConstArray grad) = 0;
  // Settings saved beside the state, for the record.
  virtual std::map<std::string, double> hyperparameters() const = 0;

  // Parameter i's buffer of the given name; created filled with zeros when create is set and it is
  // missing, else null when missing.
  Tensor<float>* buffer(std::size_t i, const std::string& name, bool create = true) {
    auto& b = state_[i].buffers;
    auto it = b.find(name);
    if (it != b.end()) return &it->second;
    if (!create) return nullptr;
    return &b.emplace(name, zeros<float>(params_[i].shape())).first->second;
  }
  std::int64_t step_count(std::size_t i) const { return state_[i].step; }

 private:
  struct State {
    std::map<std::string, Tensor<float>> buffers;
    std::int64_t step = 0;
  };

  static std::string number_string(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);  // round-trips exactly
    return buf;
  }

  std::vector<Var<float>> params_;
  double lr_;
  std::vector<State> state_;
};

}  // namespace duel::optim
