// Layers that only change shapes or resample: Flatten, Unflatten, Upsample, and Dropout.
#pragma once

#include <vector>

#include "duel/nn/module.hpp"

namespace duel::nn {

// Merges dims start_dim..end_dim: [N, C, H, W] -> [N, C*H*W] by default.
class Flatten : public Module {
 public:
  explicit Flatten(int start_dim = 1, int end_dim = -1) : start_(start_dim), end_(end_dim) {}
  std::string name() const override { return "Flatten"; }
  std::string extra_repr() const override { return detail::cat("start_dim=", start_, ", end_dim=", end_); }
  Var<float> forward(const Var<float>& x) override { return flatten(x, start_, end_); }

 private:
  int start_, end_;
};

// Splits one dim: Unflatten(1, {128, 7, 7}) turns [N, 6272] into [N, 128, 7, 7].
class Unflatten : public Module {
 public:
  Unflatten(int dim, std::vector<index_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  std::string name() const override { return "Unflatten"; }
  std::string extra_repr() const override {
    std::string s = detail::cat("dim=", dim_, ", unflattened_size=(");
    for (std::size_t i = 0; i < sizes_.size(); ++i) s += detail::cat(i ? ", " : "", sizes_[i]);
    return s + (sizes_.size() == 1 ? ",)" : ")");  // a Python tuple: (128,)
  }
  Var<float> forward(const Var<float>& x) override { return unflatten(x, dim_, sizes_); }

 private:
  int dim_;
  std::vector<index_t> sizes_;
};

// Nearest-neighbour upsampling by an integer factor.
class Upsample : public Module {
 public:
  explicit Upsample(index_t scale_factor = 2) : scale_(scale_factor) {}
  std::string name() const override { return "Upsample"; }
  // As PyTorch prints it, which stores the factor as a float: scale_factor=2.0, mode=nearest
  std::string extra_repr() const override { return detail::cat("scale_factor=", scale_, ".0, mode=nearest"); }
  Var<float> forward(const Var<float>& x) override { return upsample_nearest2d(x, scale_); }

 private:
  index_t scale_;
};

// Zeroes elements with probability p while training (scaling the rest by 1/(1-p)); identity in eval.
class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5) : p_(p) {
    if (!(p >= 0 && p <= 1)) throw ValueError(detail::cat("Dropout: probability must be in [0, 1], got ", p));
  }
  std::string name() const override { return "Dropout"; }
  std::string extra_repr() const override { return detail::cat("p=", p_, ", inplace=False"); }  // PyTorch's print
  Var<float> forward(const Var<float>& x) override { return dropout(x, p_, is_training()); }

 private:
  double p_;
};

}  // namespace duel::nn
