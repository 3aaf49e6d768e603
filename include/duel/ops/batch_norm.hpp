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
#include <type_traits>

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

// Calls fn(c, offset) for the offset of each of channel c's N rows of L values, channels in parallel.
template <class Fn>
void for_channel_rows(const ChannelLayout& lay, Fn fn) {
  parallel_for(0, lay.C, 1, [&](index_t lo, index_t hi) {
    for (index_t c = lo; c < hi; ++c) {
      for (index_t n = 0; n < lay.N; ++n) fn(c, (n * lay.C + c) * lay.L);
    }
  });
}

// The L values at data + offset as an Eigen array.
template <class T>
auto row_at(T* data, index_t offset, index_t L) {
  return Eigen::Map<std::conditional_t<std::is_const_v<T>, const Eigen::Array<std::remove_const_t<T>, Eigen::Dynamic, 1>,
                                       Eigen::Array<T, Eigen::Dynamic, 1>>>(data + offset, L);
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

  Tensor<T> mean_c = Tensor<T>::empty({lay.C}), invstd_c = Tensor<T>::empty({lay.C});
  const T* px = x.value().data();
  std::vector<double> sums(static_cast<std::size_t>(lay.C), 0.0), squares(static_cast<std::size_t>(lay.C), 0.0);
  detail::for_channel_rows(lay, [&](index_t c, index_t off) {
    sums[static_cast<std::size_t>(c)] += detail::row_at(px, off, lay.L).sum();
  });
  for (index_t c = 0; c < lay.C; ++c) mean_c.data()[c] = static_cast<T>(sums[static_cast<std::size_t>(c)] / static_cast<double>(M));
  detail::for_channel_rows(lay, [&](index_t c, index_t off) {  // two passes: accurate variance
    squares[static_cast<std::size_t>(c)] += (detail::row_at(px, off, lay.L) - mean_c.data()[c]).square().sum();
  });
  for (index_t c = 0; c < lay.C; ++c) {
    const double var = squares[static_cast<std::size_t>(c)] / static_cast<double>(M);
    invstd_c.data()[c] = static_cast<T>(1.0 / std::sqrt(var + eps));
    if (tracked) {
      running_mean.data()[c] = static_cast<T>((1 - momentum) * running_mean.data()[c] + momentum * mean_c.data()[c]);
      running_var.data()[c] = static_cast<T>((1 - momentum) * running_var.data()[c] +
                                             momentum * var * static_cast<double>(M) / static_cast<double>(M - 1));
    }
  }

  Tensor<T> y = Tensor<T>::empty(x.shape());
  detail::for_channel_rows(lay, [&](index_t c, index_t off) {
    const T scale = invstd_c.data()[c] * (weight.defined() ? weight.value().data()[c] : T(1));
    const T shift = (bias.defined() ? bias.value().data()[c] : T(0)) - mean_c.data()[c] * scale;
    detail::row_at(y.data(), off, lay.L) = detail::row_at(px, off, lay.L) * scale + shift;
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
    const index_t count = lay.count();
    const T* g = ctx.grad.value().data();
    const T* xv = x.value().data();
    std::vector<double> sum_g(static_cast<std::size_t>(lay.C), 0.0), sum_gx(static_cast<std::size_t>(lay.C), 0.0);
    detail::for_channel_rows(lay, [&](index_t c, index_t off) {
      const auto gr = detail::row_at(g, off, lay.L);
      sum_g[static_cast<std::size_t>(c)] += gr.sum();
      sum_gx[static_cast<std::size_t>(c)] += (gr * (detail::row_at(xv, off, lay.L) - mean_c.data()[c])).sum() * invstd_c.data()[c];
    });
    GradList<T> out(3);
    if (ctx.needs_grad(0)) {
      Tensor<T> dx = Tensor<T>::empty(x.shape());
      detail::for_channel_rows(lay, [&](index_t c, index_t off) {
        const auto u = static_cast<std::size_t>(c);
        const T inv = invstd_c.data()[c], gamma = weight.defined() ? weight.value().data()[c] : T(1);
        const T mean_g = static_cast<T>(sum_g[u] / static_cast<double>(count));
        const T mean_gx = static_cast<T>(sum_gx[u] / static_cast<double>(count));
        detail::row_at(dx.data(), off, lay.L) =
            (detail::row_at(g, off, lay.L) - mean_g - (detail::row_at(xv, off, lay.L) - mean_c.data()[c]) * (inv * mean_gx)) *
            (gamma * inv);
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
