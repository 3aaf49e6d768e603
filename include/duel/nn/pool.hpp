// MaxPool2d: the largest value of each window (torch.nn.MaxPool2d; see ops/pool.hpp).
//   [N, C, H, W] -> [N, C, OH, OW],  OH = (H + 2 padding - dilation (k - 1) - 1) / stride + 1
// No parameters. A 2x2 window with stride 2 halves the image and keeps the strongest response of
// each 2x2 patch, so a feature may move by a pixel without changing what the next layer sees.
#pragma once

#include "duel/nn/module.hpp"

namespace duel::nn {

class MaxPool2d : public Module {
 public:
  // stride 0 means: equal to kernel_size, as PyTorch's stride=None.
  explicit MaxPool2d(Size2 kernel_size, Size2 stride = 0, Size2 padding = 0, Size2 dilation = 1)
      : options_{.kernel_size = kernel_size,
                 .stride = stride == Size2(0) ? kernel_size : stride,
                 .padding = padding,
                 .dilation = dilation} {}

  std::string name() const override { return "MaxPool2d"; }
  // PyTorch prints each size as it was given; a square one is shown as one number.
  std::string extra_repr() const override {
    return detail::cat("kernel_size=", size_str(options_.kernel_size), ", stride=", size_str(options_.stride),
                       ", padding=", size_str(options_.padding), ", dilation=", size_str(options_.dilation),
                       ", ceil_mode=False");
  }

  Var<float> forward(const Var<float>& x) override { return max_pool2d(x, options_); }

 private:
  static std::string size_str(Size2 s) { return s.h == s.w ? detail::cat(s.h) : detail::cat("(", s.h, ", ", s.w, ")"); }

  Pool2dOptions options_;
};

}  // namespace duel::nn
