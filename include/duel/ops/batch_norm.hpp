// Batch normalisation, as torch.nn.functional.batch_norm, and instance normalisation.
//
// For x [N, C, *] and each channel c, over its M = N * (spatial size) values:
//   mean = sum(x) / M,   var = sum((x - mean)^2) / M (biased),   xhat = (x - mean) / sqrt(var + eps)
//   y = gamma * xhat + beta
// Training updates the running estimates with momentum m and the unbiased variance:
//   running_mean = (1 - m) running_mean + m mean,   running_var = (1 - m) running_var + m var M / (M - 1)
// Backward, with g = dL/dy:
//   dgamma = sum(g xhat),   dbeta = sum(g),   dx = gamma / sqrt(var + eps) (g - dbeta / M - xhat dgamma / M)
// That fused formula runs in ordinary training. When the backward itself must be differentiable
// (create_graph), the gradient is taken instead through the same computation written with ops.
#pragma once

#include <array>
#include <cmath>
#include <vector>

#include "duel/autograd/grad.hpp"
#include "duel/ops/math.hpp"
#include "duel/ops/reduce.hpp"

namespace duel {
namespace detail {

// x [N, C, *] seen as N blocks of C rows of L values.
struct ChannelLayout {
  index_t N, C, L;
  explicit ChannelLayout(const Shape& s) : N(s[0]), C(s[1]), L(s.numel() / std::max<index_t>(s[0] * s[1], 1)) {}
  index_t count() const { return N * L; }
};

// The per-channel statistics dims of x: every dim but 1.
inline std::vector<int> non_channel_dims(int rank) {
  std::vector<int> dims{0};
  for (int d = 2; d < rank; ++d) dims.push_back(d);
  return dims;
}

// gamma and beta shaped [1, C, 1, ...] to broadcast against x.
template <class T>
Var<T> per_channel(const Var<T>& v, int rank) {
  Shape s{1, v.numel()};
  for (int d = 2; d < rank; ++d) s.push_back(1);
  return reshape(v, s);
}

// Training-mode batch norm written with differentiable ops (the reference the fused kernels follow).
template <class T>
Var<T> batch_norm_composite(const Var<T>& x, const Var<T>& weight, const Var<T>& bias, double eps) {
  const std::vector<int> dims = non_channel_dims(x.rank());
  Var<T> centered = x - mean(x, dims, true);
  Var<T> xhat = centered / sqrt(mean(centered * centered, dims, true) + eps);
  if (weight.defined()) xhat = xhat * per_channel(weight, x.rank());
  if (bias.defined()) xhat = xhat + per_channel(bias, x.rank());
  return xhat;
}

// The fused kernels see x [N, C, *] as a column-major matrix of C * L rows, one per (channel,
// position), and N columns, one per sample: each sample is one contiguous column. Sums over the
// batch are then additions of whole columns, vectorised whatever L is (a BatchNorm1d has L = 1,
// where walking channel by channel would touch one float at a time), and rows split across
// threads without changing any sum.
template <class T>
using BatchColumns = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>>;
template <class T>
using RowValues = Eigen::Array<T, Eigen::Dynamic, 1>;

// Calls fn(r, len) on disjoint blocks of rows, in parallel when there are many.
template <class Fn>
void for_row_blocks(const ChannelLayout& lay, Fn fn) {
  parallel_for(0, lay.C * lay.L, 4096, [&](index_t lo, index_t hi) { fn(lo, hi - lo); });
}

// sum over samples n of term(n, r, len), the values of rows [r, r + len) for sample n.
template <class T, class Term>
RowValues<T> sum_over_batch(const ChannelLayout& lay, Term term) {
  RowValues<T> total = RowValues<T>::Zero(lay.C * lay.L);
  for_row_blocks(lay, [&](index_t r, index_t len) {
    for (index_t n = 0; n < lay.N; ++n) total.segment(r, len) += term(n, r, len);
  });
  return total;
}

// Per-channel totals (in double) of per-row values: the L rows of each channel added up.
template <class T>
std::vector<double> channel_totals(const ChannelLayout& lay, const RowValues<T>& rows) {
  std::vector<double> totals(static_cast<std::size_t>(lay.C));
  for (index_t c = 0; c < lay.C; ++c) totals[static_cast<std::size_t>(c)] = rows.segment(c * lay.L, lay.L).template cast<double>().sum();
  return totals;
}

// A per-channel value repeated on each of the channel's L rows.
template <class T, class PerChannel>
RowValues<T> per_row(const ChannelLayout& lay, PerChannel value) {
  RowValues<T> rows(lay.C * lay.L);
  for (index_t c = 0; c < lay.C; ++c) rows.segment(c * lay.L, lay.L).setConstant(static_cast<T>(value(c)));
  return rows;
}

// out[:, r..] = f(n, r, len) for every sample, in parallel over row blocks.
template <class T, class Fn>
void write_columns(const ChannelLayout& lay, T* out, Fn f) {
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>> y(out, lay.C * lay.L, lay.N);
  for_row_blocks(lay, [&](index_t r, index_t len) {
    for (index_t n = 0; n < lay.N; ++n) y.col(n).segment(r, len) = f(n, r, len);
  });
}

}  // namespace detail

// running_mean and running_var are buffers updated in place (Tensors share storage); pass empty
// tensors for none. In eval mode (training = false) they normalise instead of the batch statistics.
template <class T>
Var<T> batch_norm(const Var<T>& x, Tensor<T> running_mean, Tensor<T> running_var, const Var<T>& weight = {},
                  const Var<T>& bias = {}, bool training = true, double momentum = 0.1, double eps = 1e-5) {
  if (x.rank() < 2) throw ShapeError(detail::cat("batch_norm: input must be [N, C, ...], got ", x.shape()));
  const detail::ChannelLayout lay(x.shape());
  const bool tracked = running_mean.numel() > 0;
  for (const Tensor<T>* t : {&running_mean, &running_var}) {
    if (tracked && !(t->shape() == Shape{lay.C})) {
      throw ShapeError(detail::cat("batch_norm: running statistics ", t->shape(), " for input ", x.shape(), " with ", lay.C, " channels"));
    }
  }
  for (const Var<T>* v : {&weight, &bias}) {
    if (v->defined() && !(v->shape() == Shape{lay.C})) {
      throw ShapeError(detail::cat("batch_norm: weight/bias ", v->shape(), " for input ", x.shape(), " with ", lay.C, " channels"));
    }
  }
  if (!training) {
    if (!tracked) throw ValueError("batch_norm: evaluation mode needs running_mean and running_var");
    Tensor<T> invstd = detail::map(running_var, [eps](const auto& v) { return (v + T(eps)).rsqrt(); });
    Var<T> y = (x - detail::per_channel(Var<T>(running_mean), x.rank())) * detail::per_channel(Var<T>(invstd), x.rank());
    if (weight.defined()) y = y * detail::per_channel(weight, x.rank());
    return bias.defined() ? y + detail::per_channel(bias, x.rank()) : y;
  }
  const index_t M = lay.count();
  if (M < 2) throw ValueError(detail::cat("batch_norm: expected more than 1 value per channel when training, got input ", x.shape()));

  const detail::BatchColumns<T> X(x.value().data(), lay.C * lay.L, lay.N);
  const std::vector<double> sums = detail::channel_totals(lay, detail::sum_over_batch<T>(lay, [&](index_t n, index_t r, index_t len) {
    return X.col(n).segment(r, len);
  }));
  Tensor<T> mean_c = Tensor<T>::empty({lay.C}), invstd_c = Tensor<T>::empty({lay.C});
  for (index_t c = 0; c < lay.C; ++c) mean_c.data()[c] = static_cast<T>(sums[static_cast<std::size_t>(c)] / static_cast<double>(M));
  const detail::RowValues<T> mean_r = detail::per_row<T>(lay, [&](index_t c) { return mean_c.data()[c]; });
  const std::vector<double> squares =  // a second pass over the centred values: an accurate variance
      detail::channel_totals(lay, detail::sum_over_batch<T>(lay, [&](index_t n, index_t r, index_t len) {
        return (X.col(n).segment(r, len) - mean_r.segment(r, len)).square();
      }));
  for (index_t c = 0; c < lay.C; ++c) {
    const double var = squares[static_cast<std::size_t>(c)] / static_cast<double>(M);
    invstd_c.data()[c] = static_cast<T>(1.0 / std::sqrt(var + eps));
    if (tracked) {
      running_mean.data()[c] = static_cast<T>((1 - momentum) * running_mean.data()[c] + momentum * mean_c.data()[c]);
      running_var.data()[c] = static_cast<T>((1 - momentum) * running_var.data()[c] +
                                             momentum * var * static_cast<double>(M) / static_cast<double>(M - 1));
    }
  }

  // y = x * scale + shift with scale = gamma * invstd and shift = beta - mean * scale.
  const detail::RowValues<T> scale = detail::per_row<T>(lay, [&](index_t c) {
    return invstd_c.data()[c] * (weight.defined() ? weight.value().data()[c] : T(1));
  });
  const detail::RowValues<T> shift = detail::per_row<T>(lay, [&](index_t c) {
    return (bias.defined() ? bias.value().data()[c] : T(0)) - mean_c.data()[c] * scale(c * lay.L);
  });
  Tensor<T> y = Tensor<T>::empty(x.shape());
  detail::write_columns(lay, y.data(), [&](index_t n, index_t r, index_t len) {
    return X.col(n).segment(r, len) * scale.segment(r, len) + shift.segment(r, len);
  });

  return record<T>("batch_norm", std::move(y), {x, weight, bias},
                   [x, weight, bias, mean_r, invstd_c, eps, lay](const BackwardContext<T>& ctx) -> GradList<T> {
    if (GradMode::is_enabled()) {  // create_graph: differentiate the op-by-op definition
      std::vector<Var<T>> wrt;
      const std::array<const Var<T>*, 3> inputs{&x, &weight, &bias};
      for (std::size_t i = 0; i < 3; ++i) {
        if (ctx.needs_grad(i)) wrt.push_back(*inputs[i]);
      }
      auto grads = grad<T>({detail::batch_norm_composite(x, weight, bias, eps)}, wrt, {ctx.grad},
                           {.create_graph = true, .allow_unused = true});
      GradList<T> out(3);
      for (std::size_t i = 0, k = 0; i < 3; ++i) {
        if (ctx.needs_grad(i)) out[i] = grads[k++];
      }
      return out;
    }
    // With xhat = (x - mean) invstd: sum_g = sum(g), sum_gx = sum(g xhat) per channel, and
    // dx = gamma invstd (g - sum_g / M - xhat sum_gx / M).
    const double count = static_cast<double>(lay.count());
    const detail::BatchColumns<T> input(x.value().data(), lay.C * lay.L, lay.N), G(ctx.grad.value().data(), lay.C * lay.L, lay.N);
    const std::vector<double> sum_g = detail::channel_totals(lay, detail::sum_over_batch<T>(lay, [&](index_t n, index_t r, index_t len) {
      return G.col(n).segment(r, len);
    }));
    std::vector<double> sum_gx = detail::channel_totals(lay, detail::sum_over_batch<T>(lay, [&](index_t n, index_t r, index_t len) {
      return G.col(n).segment(r, len) * (input.col(n).segment(r, len) - mean_r.segment(r, len));
    }));
    for (index_t c = 0; c < lay.C; ++c) sum_gx[static_cast<std::size_t>(c)] *= static_cast<double>(invstd_c.data()[c]);
    GradList<T> out(3);
    if (ctx.needs_grad(0)) {
      auto channel = [](index_t c) { return static_cast<std::size_t>(c); };
      const detail::RowValues<T> mean_g = detail::per_row<T>(lay, [&](index_t c) { return sum_g[channel(c)] / count; });
      const detail::RowValues<T> xhat_coef = detail::per_row<T>(lay, [&](index_t c) {  // invstd * sum_gx / M, applied to x - mean
        return static_cast<double>(invstd_c.data()[c]) * sum_gx[channel(c)] / count;
      });
      const detail::RowValues<T> gain = detail::per_row<T>(lay, [&](index_t c) {
        return invstd_c.data()[c] * (weight.defined() ? weight.value().data()[c] : T(1));
      });
      Tensor<T> dx = Tensor<T>::empty(x.shape());
      detail::write_columns(lay, dx.data(), [&](index_t n, index_t r, index_t len) {
        return (G.col(n).segment(r, len) - mean_g.segment(r, len) -
                (input.col(n).segment(r, len) - mean_r.segment(r, len)) * xhat_coef.segment(r, len)) *
               gain.segment(r, len);
      });
      out[0] = Var<T>(std::move(dx));
    }
    auto per_channel_sums = [&](const std::vector<double>& s) {
      Tensor<T> t = Tensor<T>::empty({lay.C});
      for (index_t c = 0; c < lay.C; ++c) t.data()[c] = static_cast<T>(s[static_cast<std::size_t>(c)]);
      return Var<T>(std::move(t));
    };
    if (ctx.needs_grad(1)) out[1] = per_channel_sums(sum_gx);
    if (ctx.needs_grad(2)) out[2] = per_channel_sums(sum_g);
    return out;
  });
}

// Instance normalisation: each (sample, channel) plane normalised by its own statistics, then an
// optional per-channel affine map. It is batch norm on x viewed as [1, N*C, ...].
template <class T>
Var<T> instance_norm(const Var<T>& x, const Var<T>& weight = {}, const Var<T>& bias = {}, double eps = 1e-5) {
  if (x.rank() < 3) throw ShapeError(detail::cat("instance_norm: input must be [N, C, H, W] or [N, C, L], got ", x.shape()));
  const index_t N = x.size(0), C = x.size(1);
  Shape folded = x.shape();
  folded[0] = 1;
  folded[1] = N * C;
  auto repeat = [&](const Var<T>& v) {
    return v.defined() ? reshape(broadcast_to(reshape(v, {1, C}), {N, C}), {N * C}) : Var<T>();
  };
  return reshape(batch_norm(reshape(x, folded), Tensor<T>(), Tensor<T>(), repeat(weight), repeat(bias), true, 0.0, eps),
                 x.shape());
}

}  // namespace duel
