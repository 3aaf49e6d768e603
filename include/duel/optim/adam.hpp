// Adam and AdamW (torch.optim.Adam / AdamW, amsgrad off). With t the parameter's step count:
//   m = beta1 m + (1 - beta1) g          (first moment: a running mean of gradients)
//   v = beta2 v + (1 - beta2) g^2        (second moment: a running mean of squared gradients)
//   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// The (1 - beta^t) factors undo the bias of m and v towards their zero start.
// Adam adds weight_decay p to g (L2 regularisation); AdamW instead shrinks p by lr weight_decay
// before the step (decoupled weight decay, Loshchilov & Hutter).
#pragma once

#include <algorithm>
#include <cmath>

#include "duel/optim/optimizer.hpp"
#include "duel/tensor/parallel.hpp"

namespace duel::optim {

struct AdamOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Var<float>> params, double lr = 1e-3, AdamOptions options = {}, bool decoupled = false)
      : Optimizer(std::move(params), lr), o_(options), decoupled_(decoupled) {
    if (!(o_.beta1 >= 0 && o_.beta1 < 1 && o_.beta2 >= 0 && o_.beta2 < 1 && o_.eps >= 0)) {
      throw ValueError(detail::cat("Adam: betas must be in [0, 1) and eps >= 0, got (", o_.beta1, ", ", o_.beta2, ") and ", o_.eps));
    }
  }

 protected:
  void update(std::size_t i, Array p, ConstArray g) override {
    const double t = static_cast<double>(step_count(i));
    const auto b1 = static_cast<float>(o_.beta1), b2 = static_cast<float>(o_.beta2), eps = static_cast<float>(o_.eps);
    const auto wd = static_cast<float>(o_.weight_decay), lr_f = static_cast<float>(lr());
    const float decay = 1 - lr_f * wd, l2 = decoupled_ ? 0.0f : wd;
    const auto step_size = static_cast<float>(lr() / (1 - std::pow(o_.beta1, t)));
    const auto root_correction = static_cast<float>(std::sqrt(1 - std::pow(o_.beta2, t)));
    float* m_data = buffer(i, "exp_avg")->data();
    float* v_data = buffer(i, "exp_avg_sq")->data();
    // One pass over p, g, m and v in blocks small enough to stay in L1 across the three updates,
    // the blocks split over the threads (at fixed places: see parallel_blocks).
    parallel_blocks(p.size(), 2048, 8, [&](index_t a, index_t len) {
      auto ps = p.segment(a, len);
      const auto gs = g.segment(a, len) + l2 * ps;
      Eigen::Map<Eigen::ArrayXf> m(m_data + a, len), v(v_data + a, len);
      m = b1 * m + (1 - b1) * gs;
      v = b2 * v + (1 - b2) * gs.square();
      if (decoupled_) ps *= decay;  // rounded on its own, as PyTorch's mul_ before addcdiv_
      ps -= step_size * m / (v.sqrt() / root_correction + eps);
    });
  }

  std::map<std::string, double> hyperparameters() const override {
    return {{"beta1", o_.beta1}, {"beta2", o_.beta2}, {"eps", o_.eps}, {"weight_decay", o_.weight_decay}};
  }

 private:
  AdamOptions o_;
  bool decoupled_;
};

// Adam with decoupled weight decay; PyTorch's default weight_decay for AdamW is 0.01.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Var<float>> params, double lr = 1e-3, AdamOptions options = {.weight_decay = 0.01})
      : Adam(std::move(params), lr, options, true) {}
};

}  // namespace duel::optim
