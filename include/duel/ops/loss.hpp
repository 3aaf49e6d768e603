// Losses, with PyTorch's reductions: mean (default), sum, or none (one loss per element).
//
// binary_cross_entropy_with_logits(x, t) = softplus(x) - t x, which equals
//   -[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))]
// but never takes the log of a rounded-to-zero probability, so logits of +-100 are fine.
// Its gradient is sigmoid(x) - t. Targets may be soft (0.9 for label smoothing).
#pragma once

#include <limits>

#include "duel/ops/activation.hpp"
#include "duel/ops/linear_map.hpp"
#include "duel/ops/reduce.hpp"
#include "duel/ops/softmax.hpp"

namespace duel {

enum class Reduction { mean, sum, none };

template <class T>
Var<T> reduce(const Var<T>& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::mean: return mean(loss);
    case Reduction::sum: return sum(loss);
    case Reduction::none: break;
  }
  return loss;
}

namespace detail {
template <class T>
void check_same_shape(const char* op, const Var<T>& input, const Var<T>& target) {
  if (!(input.shape() == target.shape())) {
    throw ShapeError(detail::cat(op, ": input ", input.shape(), " and target ", target.shape(), " differ"));
  }
}
}  // namespace detail

template <class T>
Var<T> binary_cross_entropy_with_logits(const Var<T>& logits, const Var<T>& target, Reduction reduction = Reduction::mean) {
  detail::check_same_shape("binary_cross_entropy_with_logits", logits, target);
  // softplus without its threshold: above 20 it would return x itself and drop log1p(exp(-x)),
  // the whole loss of a confident right answer, which PyTorch's loss keeps
  return reduce(softplus(logits, std::numeric_limits<double>::infinity()) - target * logits, reduction);
}

// The same with every target equal to one value (1 for "real", 0 for "fake", 0.9 smoothed).
template <class T>
Var<T> binary_cross_entropy_with_logits(const Var<T>& logits, double target, Reduction reduction = Reduction::mean) {
  return binary_cross_entropy_with_logits(logits, Var<T>(full<T>(logits.shape(), static_cast<T>(target))), reduction);
}

// (input - target)^2
template <class T>
Var<T> mse_loss(const Var<T>& input, const Var<T>& target, Reduction reduction = Reduction::mean) {
  detail::check_same_shape("mse_loss", input, target);
  Var<T> diff = input - target;
  return reduce(diff * diff, reduction);
}

// -log_probs[n, target[n]]: log_probs [N, C], target [N] class indices.
template <class T>
Var<T> nll_loss(const Var<T>& log_probs, const Tensor<std::int64_t>& target, Reduction reduction = Reduction::mean) {
  if (log_probs.rank() != 2 || target.rank() != 1 || target.numel() != log_probs.size(0)) {
    throw ShapeError(detail::cat("nll_loss: expects log-probabilities [N, C] and targets [N], got ", log_probs.shape(),
                                 " and ", target.shape()));
  }
  const index_t N = log_probs.size(0), C = log_probs.size(1);
  for (std::int64_t t : target) {
    if (t < 0 || t >= C) throw ValueError(detail::cat("nll_loss: target ", t, " is out of range for ", C, " classes"));
  }
  const Shape full_shape = log_probs.shape();
  auto pick = [target, N, C](const Tensor<T>& lp) {  // y[n] = lp[n, t_n]
    Tensor<T> y = Tensor<T>::empty({N});
    for (index_t n = 0; n < N; ++n) y.data()[n] = lp.data()[n * C + target.data()[n]];
    return y;
  };
  auto place = [target, N, C, full_shape](const Tensor<T>& g) {  // the adjoint: g[n] back at [n, t_n]
    Tensor<T> out(full_shape);
    for (index_t n = 0; n < N; ++n) out.data()[n * C + target.data()[n]] = g.data()[n];
    return out;
  };
  return reduce(-detail::linear_map("pick_class", "place_class", log_probs, pick, place), reduction);
}

// log_softmax over classes, then the negative log-likelihood of the target class.
template <class T>
Var<T> cross_entropy(const Var<T>& logits, const Tensor<std::int64_t>& target, Reduction reduction = Reduction::mean) {
  return nll_loss(log_softmax(logits, 1), target, reduction);
}

// max(0, 1 - t x) for labels t = +1 or -1 (given as one value for the batch): the hinge terms of
// hinge-loss GANs, relu(1 - D(x)) for real images and relu(1 + D(G(z))) for fakes.
template <class T>
Var<T> hinge_loss(const Var<T>& scores, double label, Reduction reduction = Reduction::mean) {
  return reduce(relu(1.0 - scores * label), reduction);
}

}  // namespace duel
