// Linear: y = x W^T + b, the fully connected layer (torch.nn.Linear).
//   input [..., in_features] -> output [..., out_features] (leading dims are batch dims, as in
//   PyTorch); weight [out, in]; bias [out].
//   Initialised as PyTorch does: W and b from U(-1/sqrt(in), 1/sqrt(in)).
#pragma once

#include "duel/nn/init.hpp"

namespace duel::nn {

class Linear : public Module {
 public:
  Linear(index_t in_features, index_t out_features, bool with_bias = true)
      : in_features_(in_features), out_features_(out_features) {
    if (in_features < 1 || out_features < 1) {
      throw ValueError(detail::cat("Linear: sizes must be >= 1, got ", in_features, " and ", out_features));
    }
    weight = register_parameter("weight", Tensor<float>({out_features, in_features}));
    if (with_bias) bias = register_parameter("bias", Tensor<float>({out_features}));
    init::default_weight_and_bias_(weight, &bias);
  }

  std::string name() const override { return "Linear"; }
  std::string extra_repr() const override {
    return detail::cat("in_features=", in_features_, ", out_features=", out_features_, ", bias=", bias.defined() ? "True" : "False");
  }

  Var<float> forward(const Var<float>& x) override {
    if (x.rank() < 1 || x.size(x.rank() - 1) != in_features_) {
      throw ShapeError(detail::cat("Linear(in_features=", in_features_, "): input ", x.shape(), " does not end in ",
                                   in_features_, " features"));
    }
    return linear(x, weight, bias);
  }

  Var<float> weight, bias;

 private:
  index_t in_features_, out_features_;
};

}  // namespace duel::nn
