// Activation layers: ReLU, LeakyReLU, Tanh, Sigmoid (no parameters; see ops/activation.hpp).
#pragma once

#include "duel/nn/module.hpp"

namespace duel::nn {

class ReLU : public Module {
 public:
  std::string name() const override { return "ReLU"; }
  Var<float> forward(const Var<float>& x) override { return relu(x); }
};

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : slope_(negative_slope) {}
  std::string name() const override { return "LeakyReLU"; }
  std::string extra_repr() const override { return detail::cat("negative_slope=", slope_); }
  Var<float> forward(const Var<float>& x) override { return leaky_relu(x, slope_); }

 private:
  double slope_;
};

class Tanh : public Module {
 public:
  std::string name() const override { return "Tanh"; }
  Var<float> forward(const Var<float>& x) override { return tanh(x); }
};

class Sigmoid : public Module {
 public:
  std::string name() const override { return "Sigmoid"; }
  Var<float> forward(const Var<float>& x) override { return sigmoid(x); }
};

}  // namespace duel::nn
