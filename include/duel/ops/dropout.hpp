// dropout: during training, zero each element with probability p and scale the survivors by
// 1 / (1 - p), so that the expected value is unchanged; in evaluation, the identity.
// The mask comes from a Generator, so runs are reproducible.
#pragma once

#include "duel/ops/arithmetic.hpp"

namespace duel {

template <class T>
Var<T> dropout(const Var<T>& x, double p = 0.5, bool training = true, Generator& gen = default_generator()) {
  if (!(p >= 0 && p <= 1)) throw ValueError(detail::cat("dropout: probability must be in [0, 1], got ", p));
  if (!training || p == 0) return x;
  if (p == 1) return x * 0.0;
  Tensor<T> mask = Tensor<T>::empty(x.shape());
  const std::uint64_t first = gen.reserve(static_cast<std::uint64_t>(mask.numel()));
  const T keep = static_cast<T>(1 / (1 - p));
  for (index_t i = 0; i < mask.numel(); ++i) {
    mask.data()[i] = gen.uniform(first + static_cast<std::uint64_t>(i)) < p ? T(0) : keep;
  }
  return x * Var<T>(std::move(mask));
}

}  // namespace duel
