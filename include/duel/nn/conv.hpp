// Conv2d and ConvTranspose2d layers (torch.nn.Conv2d, torch.nn.ConvTranspose2d).
//
//   Conv2d(in, out, k):          [N, in, H, W] -> [N, out, OH, OW], weight [out, in, kh, kw]
//       OH = (H + 2 padding - dilation (kh - 1) - 1) / stride + 1
//   ConvTranspose2d(in, out, k): [N, in, H, W] -> [N, out, OH, OW], weight [in, out, kh, kw]
//       OH = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1
// A transposed convolution with stride 2 doubles the size: DCGAN's generators grow images with it.
// Both are initialised as PyTorch does: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
#pragma once

#include "duel/nn/init.hpp"

namespace duel {
namespace detail {

inline std::string pair_str(Size2 s) { return detail::cat("(", s.h, ", ", s.w, ")"); }

inline void check_image_input(const char* layer, index_t channels, const Var<float>& x) {
  if (x.rank() != 4) {
    throw ShapeError(detail::cat(layer, "(in_channels=", channels, "): input ", x.shape(), " is not [N, C, H, W]"));
  }
  if (x.size(1) != channels) {
    throw ShapeError(detail::cat(layer, "(in_channels=", channels, "): input ", x.shape(), " has ", channels_str(x.size(1))));
  }
}

}  // namespace detail

namespace nn {

class Conv2d : public Module {
 public:
  Conv2d(index_t in_channels, index_t out_channels, Size2 kernel_size, Conv2dOptions options = {}, bool with_bias = true)
      : in_(in_channels), out_(out_channels), kernel_(kernel_size), options_(options) {
    weight = register_parameter("weight", Tensor<float>({out_channels, in_channels, kernel_size.h, kernel_size.w}));
    if (with_bias) bias = register_parameter("bias", Tensor<float>({out_channels}));
    init::default_weight_and_bias_(weight, &bias);
  }

  std::string name() const override { return "Conv2d"; }
  std::string extra_repr() const override {
    std::string s = detail::cat(in_, ", ", out_, ", kernel_size=", detail::pair_str(kernel_), ", stride=",
                                      detail::pair_str(options_.stride));
    if (!(options_.padding == Size2(0))) s += ", padding=" + detail::pair_str(options_.padding);
    if (!(options_.dilation == Size2(1))) s += ", dilation=" + detail::pair_str(options_.dilation);
    return bias.defined() ? s : s + ", bias=False";
  }

  Var<float> forward(const Var<float>& x) override {
    detail::check_image_input("Conv2d", in_, x);
    return conv2d(x, weight, bias, options_);
  }

  Var<float> weight, bias;

 private:
  index_t in_, out_;
  Size2 kernel_;
  Conv2dOptions options_;
};

class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(index_t in_channels, index_t out_channels, Size2 kernel_size, ConvTranspose2dOptions options = {},
                  bool with_bias = true)
      : in_(in_channels), out_(out_channels), kernel_(kernel_size), options_(options) {
    weight = register_parameter("weight", Tensor<float>({in_channels, out_channels, kernel_size.h, kernel_size.w}));
    if (with_bias) bias = register_parameter("bias", Tensor<float>({out_channels}));
    init::default_weight_and_bias_(weight, &bias);
  }

  std::string name() const override { return "ConvTranspose2d"; }
  std::string extra_repr() const override {
    std::string s = detail::cat(in_, ", ", out_, ", kernel_size=", detail::pair_str(kernel_), ", stride=",
                                      detail::pair_str(options_.stride));
    if (!(options_.padding == Size2(0))) s += ", padding=" + detail::pair_str(options_.padding);
    if (!(options_.dilation == Size2(1))) s += ", dilation=" + detail::pair_str(options_.dilation);  // PyTorch's order
    if (!(options_.output_padding == Size2(0))) s += ", output_padding=" + detail::pair_str(options_.output_padding);
    return bias.defined() ? s : s + ", bias=False";
  }

  Var<float> forward(const Var<float>& x) override {
    detail::check_image_input("ConvTranspose2d", in_, x);
    return conv_transpose2d(x, weight, bias, options_);
  }

  Var<float> weight, bias;

 private:
  index_t in_, out_;
  Size2 kernel_;
  ConvTranspose2dOptions options_;
};

}  // namespace nn
}  // namespace duel
