// SGD with momentum, dampening, Nesterov momentum and weight decay (torch.optim.SGD):
//   d = g + weight_decay p
//   b = d on the first step, then b = momentum b + (1 - dampening) d
//   d = d + momentum b (Nesterov)  or  d = b
//   p = p - lr d
#pragma once

#include "duel/optim/optimizer.hpp"

namespace duel::optim {

struct SGDOptions {
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Var<float>> params, double lr, SGDOptions options = {}) : Optimizer(std::move(params), lr), o_(options) {
    if (o_.nesterov && (o_.momentum <= 0 || o_.dampening != 0)) {
      throw ValueError("SGD: Nesterov momentum requires a momentum and zero dampening");
    }
  }

 protected:
  void update(std::size_t i, Array p, ConstArray g) override {
    const auto m = static_cast<float>(o_.momentum), wd = static_cast<float>(o_.weight_decay);
    Eigen::Array<float, Eigen::Dynamic, 1> d = g + wd * p;
    if (o_.momentum != 0) {
      Tensor<float>* existing = buffer(i, "momentum_buffer", false);
      Tensor<float>& b = existing ? *existing : *buffer(i, "momentum_buffer");
      if (existing) b.as_array() = m * b.as_array() + static_cast<float>(1 - o_.dampening) * d;
      else b.as_array() = d;
      if (o_.nesterov) d += m * b.as_array();
      else d = b.as_array();
    }
    p -= static_cast<float>(lr()) * d;
  }

  std::map<std::string, double> hyperparameters() const override {
    return {{"momentum", o_.momentum}, {"dampening", o_.dampening}, {"weight_decay", o_.weight_decay},
            {"nesterov", o_.nesterov ? 1.0 : 0.0}};
  }

 private:
  SGDOptions o_;
};

}  // namespace duel::optim
