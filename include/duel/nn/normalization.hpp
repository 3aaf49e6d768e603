// Normalisation layers (torch.nn.BatchNorm1d, BatchNorm2d, InstanceNorm2d).
//
// BatchNorm normalises each channel with the statistics of the batch while training, and keeps
// running estimates (momentum 0.1) to use in evaluation mode. It also counts the training batches
// in num_batches_tracked, so that its state dict has PyTorch's entries. InstanceNorm2d normalises
// each image's channels on their own and, as in PyTorch, has no learned affine map unless asked.
// Formulas and gradients: ops/batch_norm.hpp.
#pragma once

#include "duel/nn/init.hpp"

namespace duel::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool affine = true;               // learn a per-channel scale (weight) and shift (bias)
  bool track_running_stats = true;  // keep running_mean / running_var for evaluation
};

// The common body of BatchNorm1d and BatchNorm2d; they differ in the input ranks they accept.
class BatchNorm : public Module {
 public:
  Var<float> forward(const Var<float>& x) override {
    const bool rank_ok = rank_ == 2 ? (x.rank() == 2 || x.rank() == 3) : x.rank() == rank_;
    if (!rank_ok || x.size(1) != features_) {
      throw ShapeError(detail::cat(name(), "(num_features=", features_, "): input ", x.shape(), " is not ",
                                   rank_ == 2 ? "[N, C] or [N, C, L]" : "[N, C, H, W]", " with C = ", features_));
    }
    const bool use_batch_stats = is_training() || !options_.track_running_stats;
    Var<float> y = batch_norm(x, running_mean, running_var, weight, bias, use_batch_stats, options_.momentum, options_.eps);
    if (is_training() && options_.track_running_stats) num_batches_tracked.data()[0] += 1;
    return y;
  }

  std::string extra_repr() const override {
    return detail::cat(features_, ", eps=", options_.eps, ", momentum=", options_.momentum,
                       ", affine=", options_.affine ? "True" : "False",
                       ", track_running_stats=", options_.track_running_stats ? "True" : "False");
  }

  Var<float> weight, bias;
  Tensor<float> running_mean, running_var, num_batches_tracked;  // a 0-d count, int64 in PyTorch

 protected:
  BatchNorm(index_t num_features, BatchNormOptions options, int rank) : features_(num_features), options_(options), rank_(rank) {
    if (options.affine) {
      weight = register_parameter("weight", ones<float>({num_features}));
      bias = register_parameter("bias", zeros<float>({num_features}));
    }
    if (options.track_running_stats) {
      running_mean = register_buffer("running_mean", zeros<float>({num_features}));
      running_var = register_buffer("running_var", ones<float>({num_features}));
      num_batches_tracked = register_buffer("num_batches_tracked", zeros<float>({}));
    }
  }

 private:
  index_t features_;
  BatchNormOptions options_;
  int rank_;  // 2 for BatchNorm1d (also accepts rank 3), 4 for BatchNorm2d
};

// Over [N, C] or [N, C, L].
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(index_t num_features, BatchNormOptions options = {}) : BatchNorm(num_features, options, 2) {}
  std::string name() const override { return "BatchNorm1d"; }
};

// Over [N, C, H, W].
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(index_t num_features, BatchNormOptions options = {}) : BatchNorm(num_features, options, 4) {}
  std::string name() const override { return "BatchNorm2d"; }
};

class InstanceNorm2d : public Module {
 public:
  explicit InstanceNorm2d(index_t num_features, double eps = 1e-5, bool affine = false)
      : features_(num_features), eps_(eps) {
    if (affine) {
      weight = register_parameter("weight", ones<float>({num_features}));
      bias = register_parameter("bias", zeros<float>({num_features}));
    }
  }

  std::string name() const override { return "InstanceNorm2d"; }
  // PyTorch's print: it shows the momentum and track_running_stats of the running statistics that
  // InstanceNorm2d can keep there; Duel's never keeps them, so these are PyTorch's defaults.
  std::string extra_repr() const override {
    return detail::cat(features_, ", eps=", eps_, ", momentum=0.1, affine=", weight.defined() ? "True" : "False",
                       ", track_running_stats=False");
  }

  Var<float> forward(const Var<float>& x) override {
    if (x.rank() != 4 || x.size(1) != features_) {
      throw ShapeError(detail::cat("InstanceNorm2d(num_features=", features_, "): input ", x.shape(),
                                   " is not [N, C, H, W] with C = ", features_));
    }
    return instance_norm(x, weight, bias, eps_);
  }

  Var<float> weight, bias;

 private:
  index_t features_;
  double eps_;
};

}  // namespace duel::nn
