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
#include <numeric>
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
// where walking channel by channel would touch one float at a time).
template <class T>
using BatchColumns = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>>;
template <class T>
using RowValues = Eigen::Array<T, Eigen::Dynamic, 1>;

// Calls fn(c0, c1) on blocks of whole channels, in parallel. Each block runs every pass of the
// op over its rows before the next block starts: about 2048 rows (512 KB of floats at N = 64)
// stay in L2 between the passes, where whole-tensor passes went through memory three times. A
// channel's sums are the same whichever block holds it, so blocks depend on the thread count
// (a multiple of it, to balance them) while results do not.
template <class Fn>
void for_channel_blocks(const ChannelLayout& lay, Fn fn) {
  const index_t threads = get_num_threads(), by_size = (lay.C * lay.L + 2047) / 2048;
  const index_t blocks = std::min(lay.C, (by_size + threads - 1) / threads * threads);
  const index_t per_block = (lay.C + blocks - 1) / std::max<index_t>(blocks, 1);
  parallel_for(0, blocks, 1, [&](index_t lo, index_t hi) {
    for (index_t b = lo; b < hi; ++b) {
      if (b * per_block < lay.C) fn(b * per_block, std::min(lay.C, (b + 1) * per_block));
    }
  });
}

// The rows of channels [c0, c1) (of x, or of any tensor shaped like it) in one sample.
struct ChannelRows {
  index_t first, count;
  ChannelRows(const ChannelLayout& lay, index_t c0, index_t c1) : first(c0 * lay.L), count((c1 - c0) * lay.L) {}
  template <class Columns>
  auto of(Columns& m, index_t n) const { return m.col(n).segment(first, count); }
};

// sum over samples n of term(n), a column of the rows' values.
template <class T, class Term>
RowValues<T> sum_over_batch(const ChannelLayout& lay, const ChannelRows& rows, Term term) {
  RowValues<T> total = RowValues<T>::Zero(rows.count);
  for (index_t n = 0; n < lay.N; ++n) total += term(n);
  return total;
}

// The total (in double) of channel c0 + k's L rows in per-row values of channels [c0, c1), added
// in order: a vectorised sum would group the numbers by their address, which depends on c0.
template <class T>
double channel_total(const ChannelLayout& lay, const RowValues<T>& rows, index_t k) {
  const T* first = rows.data() + k * lay.L;
  return std::accumulate(first, first + lay.L, 0.0);
}

// A per-channel value repeated on each of the L rows of channels [c0, c1).
template <class T, class PerChannel>
RowValues<T> per_row(const ChannelLayout& lay, index_t c0, index_t c1, PerChannel value) {
  RowValues<T> rows((c1 - c0) * lay.L);
  for (index_t c = c0; c < c1; ++c) rows.segment((c - c0) * lay.L, lay.L).setConstant(static_cast<T>(value(c)));
  return rows;
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

  // Per block of channels: the mean, then the variance from a second pass over the centred values
  // (accurate where E[x^2] - E[x]^2 cancels), then y = x * scale + shift with scale = gamma * invstd
  // and shift = beta - mean * scale.
  const detail::BatchColumns<T> X(x.value().data(), lay.C * lay.L, lay.N);
  Tensor<T> y = Tensor<T>::empty(x.shape()), mean_c = Tensor<T>::empty({lay.C}), invstd_c = Tensor<T>::empty({lay.C});
  Eigen::Map<Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>> Y(y.data(), lay.C * lay.L, lay.N);
  detail::for_channel_blocks(lay, [&](index_t c0, index_t c1) {
    const detail::ChannelRows rows(lay, c0, c1);
    const detail::RowValues<T> sums = detail::sum_over_batch<T>(lay, rows, [&](index_t n) { return rows.of(X, n); });
    for (index_t c = c0; c < c1; ++c) mean_c.data()[c] = static_cast<T>(detail::channel_total(lay, sums, c - c0) / static_cast<double>(M));
    const detail::RowValues<T> mean_r = detail::per_row<T>(lay, c0, c1, [&](index_t c) { return mean_c.data()[c]; });
    const detail::RowValues<T> squares = detail::sum_over_batch<T>(lay, rows, [&](index_t n) { return (rows.of(X, n) - mean_r).square(); });
    for (index_t c = c0; c < c1; ++c) {
      const double var = detail::channel_total(lay, squares, c - c0) / static_cast<double>(M);
      invstd_c.data()[c] = static_cast<T>(1.0 / std::sqrt(var + eps));
      if (tracked) {
        running_mean.data()[c] = static_cast<T>((1 - momentum) * running_mean.data()[c] + momentum * mean_c.data()[c]);
        running_var.data()[c] = static_cast<T>((1 - momentum) * running_var.data()[c] +
                                               momentum * var * static_cast<double>(M) / static_cast<double>(M - 1));
      }
    }
    const detail::RowValues<T> scale = detail::per_row<T>(lay, c0, c1, [&](index_t c) {
      return invstd_c.data()[c] * (weight.defined() ? weight.value().data()[c] : T(1));
    });
    const detail::RowValues<T> shift = detail::per_row<T>(lay, c0, c1, [&](index_t c) {
      return (bias.defined() ? bias.value().data()[c] : T(0)) - mean_c.data()[c] * scale((c - c0) * lay.L);
    });
    for (index_t n = 0; n < lay.N; ++n) rows.of(Y, n) = rows.of(X, n) * scale + shift;
  });

  return record<T>("batch_norm", std::move(y), {x, weight, bias},
                   [x, weight, bias, mean_c, invstd_c, eps, lay](const BackwardContext<T>& ctx) -> GradList<T> {
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
    // dx = gamma invstd (g - sum_g / M - xhat sum_gx / M), block by block of channels.
    const double count = static_cast<double>(lay.count());
    const detail::BatchColumns<T> input(x.value().data(), lay.C * lay.L, lay.N), G(ctx.grad.value().data(), lay.C * lay.L, lay.N);
    std::vector<double> sum_g(static_cast<std::size_t>(lay.C)), sum_gx(sum_g.size());
    Tensor<T> dx = ctx.needs_grad(0) ? Tensor<T>::empty(x.shape()) : Tensor<T>();
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic>> DX(dx.data(), ctx.needs_grad(0) ? lay.C * lay.L : 0, lay.N);
    auto channel = [](index_t c) { return static_cast<std::size_t>(c); };
    detail::for_channel_blocks(lay, [&](index_t c0, index_t c1) {
      const detail::ChannelRows rows(lay, c0, c1);
      const detail::RowValues<T> mean_r = detail::per_row<T>(lay, c0, c1, [&](index_t c) { return mean_c.data()[c]; });
      detail::RowValues<T> g_rows = detail::RowValues<T>::Zero(rows.count), gx_rows = g_rows;
      for (index_t n = 0; n < lay.N; ++n) {
        g_rows += rows.of(G, n);
        gx_rows += rows.of(G, n) * (rows.of(input, n) - mean_r);
      }
      for (index_t c = c0; c < c1; ++c) {
        sum_g[channel(c)] = detail::channel_total(lay, g_rows, c - c0);
        sum_gx[channel(c)] = detail::channel_total(lay, gx_rows, c - c0) * static_cast<double>(invstd_c.data()[c]);
      }
      if (!ctx.needs_grad(0)) return;
      const detail::RowValues<T> mean_g = detail::per_row<T>(lay, c0, c1, [&](index_t c) { return sum_g[channel(c)] / count; });
      const detail::RowValues<T> xhat_coef = detail::per_row<T>(lay, c0, c1, [&](index_t c) {  // invstd * sum_gx / M, applied to x - mean
        return static_cast<double>(invstd_c.data()[c]) * sum_gx[channel(c)] / count;
      });
      const detail::RowValues<T> gain = detail::per_row<T>(lay, c0, c1, [&](index_t c) {
        return invstd_c.data()[c] * (weight.defined() ? weight.value().data()[c] : T(1));
      });
      for (index_t n = 0; n < lay.N; ++n) {
        rows.of(DX, n) = (rows.of(G, n) - mean_g - (rows.of(input, n) - mean_r) * xhat_coef) * gain;
      }
    });
    GradList<T> out(3);
    if (ctx.needs_grad(0)) out[0] = Var<T>(std::move(dx));
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
