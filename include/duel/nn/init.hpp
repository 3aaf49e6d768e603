// nn::init: filling parameters with the distributions PyTorch uses, as torch.nn.init.
//
// Fan-in and fan-out follow PyTorch: for a weight [a, b, kh, kw], fan_in = b kh kw and
// fan_out = a kh kw. Kaiming initialisation keeps the variance of activations constant through
// layers with the given nonlinearity; Xavier keeps it constant forwards and backwards.
#pragma once

#include <cmath>
#include <string>

#include "duel/nn/module.hpp"

namespace duel::nn::init {

struct Fans {
  double in, out;
};

inline Fans fans(const Shape& s) {
  if (s.rank() < 2) throw ShapeError(detail::cat("init: fan in and fan out need at least 2 dims, got ", s));
  double receptive = 1;
  for (int d = 2; d < s.rank(); ++d) receptive *= static_cast<double>(s[d]);
  return {static_cast<double>(s[1]) * receptive, static_cast<double>(s[0]) * receptive};
}

enum class FanMode { fan_in, fan_out };

// The recommended gain for a nonlinearity: relu sqrt(2), leaky_relu sqrt(2 / (1 + slope^2)),
// tanh 5/3, linear and sigmoid 1.
inline double calculate_gain(const std::string& nonlinearity, double param = 0.01) {
  if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity == "conv2d") return 1;
  if (nonlinearity == "tanh") return 5.0 / 3;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1 + param * param));
  throw ValueError("calculate_gain: unknown nonlinearity '" + nonlinearity + "'");
}

inline void normal_(Var<float>& p, double mean = 0, double std = 1, Generator& gen = default_generator()) {
  duel::normal_(p.value(), mean, std, gen);
}

inline void uniform_(Var<float>& p, double low = 0, double high = 1, Generator& gen = default_generator()) {
  duel::uniform_(p.value(), low, high, gen);
}

inline void constant_(Var<float>& p, double value) { p.value().fill_(static_cast<float>(value)); }
inline void zeros_(Var<float>& p) { constant_(p, 0); }
inline void ones_(Var<float>& p) { constant_(p, 1); }

// U(-a, a) with a = gain sqrt(6 / (fan_in + fan_out))
inline void xavier_uniform_(Var<float>& p, double gain = 1, Generator& gen = default_generator()) {
  const Fans f = fans(p.shape());
  const double a = gain * std::sqrt(6.0 / (f.in + f.out));
  uniform_(p, -a, a, gen);
}

// N(0, std^2) with std = gain sqrt(2 / (fan_in + fan_out))
inline void xavier_normal_(Var<float>& p, double gain = 1, Generator& gen = default_generator()) {
  const Fans f = fans(p.shape());
  normal_(p, 0, gain * std::sqrt(2.0 / (f.in + f.out)), gen);
}

// U(-b, b) with b = gain sqrt(3 / fan), gain for leaky_relu with slope a by default
inline void kaiming_uniform_(Var<float>& p, double a = 0, FanMode mode = FanMode::fan_in,
                             const std::string& nonlinearity = "leaky_relu", Generator& gen = default_generator()) {
  const Fans f = fans(p.shape());
  const double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / (mode == FanMode::fan_in ? f.in : f.out));
  uniform_(p, -bound, bound, gen);
}

// N(0, std^2) with std = gain / sqrt(fan)
inline void kaiming_normal_(Var<float>& p, double a = 0, FanMode mode = FanMode::fan_in,
                            const std::string& nonlinearity = "leaky_relu", Generator& gen = default_generator()) {
  const Fans f = fans(p.shape());
  normal_(p, 0, calculate_gain(nonlinearity, a) / std::sqrt(mode == FanMode::fan_in ? f.in : f.out), gen);
}

// PyTorch's default for Linear and convolutions: weight kaiming_uniform_(a = sqrt(5)), which is
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same range.
inline void default_weight_and_bias_(Var<float>& weight, Var<float>* bias, Generator& gen = default_generator()) {
  kaiming_uniform_(weight, std::sqrt(5.0), FanMode::fan_in, "leaky_relu", gen);
  if (bias && bias->defined()) {
    const double bound = 1 / std::sqrt(fans(weight.shape()).in);
    uniform_(*bias, -bound, bound, gen);
  }
}

// The DCGAN rule (Radford et al. 2015), matched by class name as the reference code does: every
// convolution's weight from N(0, 0.02); every batch norm's weight from N(1, 0.02) and bias 0.
inline void dcgan_(Module& model, Generator& gen = default_generator()) {
  model.apply([&gen](Module& m) {
    const std::string type = m.name();
    for (auto& [n, p] : m.named_parameters(false)) {
      if (type.find("Conv") != std::string::npos && n == "weight") normal_(p, 0, 0.02, gen);
      if (type.find("BatchNorm") != std::string::npos) {
        if (n == "weight") normal_(p, 1, 0.02, gen);
        if (n == "bias") zeros_(p);
      }
    }
  });
}

}  // namespace duel::nn::init
