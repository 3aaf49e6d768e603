// Changing the shape without changing the values: reshape, flatten, unflatten, permute, transpose.
// Each is a linear map whose gradient is its inverse applied to the incoming gradient.
#pragma once

#include <array>
#include <numeric>
#include <vector>

#include "duel/autograd/var.hpp"

namespace duel {
namespace detail {

// out[i0..ik] = x[indices permuted by perm]: out dim d is x dim perm[d].
template <class T>
Tensor<T> permute_values(const Tensor<T>& x, const std::vector<int>& perm) {
  const int rank = x.rank();
  Shape out_shape;
  std::array<index_t, Shape::max_rank> in_stride{};
  auto xs = x.shape().strides();
  for (int d = 0; d < rank; ++d) {
    out_shape.push_back(x.shape()[perm[static_cast<std::size_t>(d)]]);
    in_stride[static_cast<std::size_t>(d)] = xs[static_cast<std::size_t>(perm[static_cast<std::size_t>(d)])];
  }
  Tensor<T> out = Tensor<T>::empty(out_shape);
  if (out.numel() == 0) return out;
  const T* px = x.data();
  T* po = out.data();
  const int last = rank - 1;
  const index_t inner = rank ? out_shape[last] : 1, inner_stride = rank ? in_stride[static_cast<std::size_t>(last)] : 1;
  std::array<index_t, Shape::max_rank> idx{};
  index_t in_off = 0;
  for (index_t o = 0; o < out.numel(); o += inner) {
    for (index_t i = 0; i < inner; ++i) po[o + i] = px[in_off + i * inner_stride];
    for (int d = last - 1; d >= 0; --d) {  // odometer over the outer output dims
      auto u = static_cast<std::size_t>(d);
      in_off += in_stride[u];
      if (++idx[u] < out_shape[d]) break;
      in_off -= in_stride[u] * out_shape[d];
      idx[u] = 0;
    }
  }
  return out;
}

inline std::vector<int> checked_permutation(const Shape& shape, std::vector<int> perm) {
  if (static_cast<int>(perm.size()) != shape.rank()) {
    throw ShapeError(detail::cat("permute: ", perm.size(), " dims given for a tensor of shape ", shape));
  }
  std::vector<bool> seen(perm.size(), false);
  for (int& d : perm) {
    d = shape.normalize_dim(d, "permute");
    if (seen[static_cast<std::size_t>(d)]) throw ShapeError(detail::cat("permute: dim ", d, " repeated for ", shape));
    seen[static_cast<std::size_t>(d)] = true;
  }
  return perm;
}

}  // namespace detail

// The same values viewed with another shape; one size may be -1 and is inferred.
template <class T>
Var<T> reshape(const Var<T>& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  return record<T>("reshape", x.value().reshape(shape), {x}, [from = x.shape()](const BackwardContext<T>& ctx) -> GradList<T> {
    return {reshape(ctx.grad, from)};
  });
}

template <class T>
Var<T> reshape(const Var<T>& x, std::initializer_list<index_t> sizes) {
  return reshape(x, x.value().infer_shape(sizes));
}

// Merges dims start..end (inclusive, negative from the end) into one, as torch.flatten.
template <class T>
Var<T> flatten(const Var<T>& x, int start_dim = 0, int end_dim = -1) {
  const Shape& s = x.shape();
  if (s.rank() == 0) return reshape(x, Shape{1});
  int a = s.normalize_dim(start_dim, "flatten"), b = s.normalize_dim(end_dim, "flatten");
  if (a > b) throw ShapeError(detail::cat("flatten: start_dim ", start_dim, " comes after end_dim ", end_dim, " for ", s));
  Shape out;
  index_t merged = 1;
  for (int d = 0; d < s.rank(); ++d) {
    if (d < a || d > b) {
      out.push_back(s[d]);
      continue;
    }
    merged *= s[d];
    if (d == b) out.push_back(merged);
  }
  return reshape(x, out);
}

// Splits dim into the given sizes, as torch.unflatten.
template <class T>
Var<T> unflatten(const Var<T>& x, int dim, const std::vector<index_t>& sizes) {
  const Shape& s = x.shape();
  int d0 = s.normalize_dim(dim, "unflatten");
  index_t n = 1;
  for (index_t v : sizes) n *= v;
  if (n != s[d0]) {
    throw ShapeError(detail::cat("unflatten: sizes with product ", n, " do not split dim ", dim, " of ", s));
  }
  Shape out;
  for (int d = 0; d < s.rank(); ++d) {
    if (d != d0) {
      out.push_back(s[d]);
      continue;
    }
    for (index_t v : sizes) out.push_back(v);
  }
  return reshape(x, out);
}

// Reorders dims: result dim d is x's dim perm[d]. Its gradient applies the inverse permutation.
template <class T>
Var<T> permute(const Var<T>& x, std::vector<int> perm) {
  perm = detail::checked_permutation(x.shape(), std::move(perm));
  std::vector<int> inverse(perm.size());
  for (std::size_t d = 0; d < perm.size(); ++d) inverse[static_cast<std::size_t>(perm[d])] = static_cast<int>(d);
  return record<T>("permute", detail::permute_values(x.value(), perm), {x},
                   [inverse](const BackwardContext<T>& ctx) -> GradList<T> { return {permute(ctx.grad, inverse)}; });
}

// Swaps two dims.
template <class T>
Var<T> transpose(const Var<T>& x, int dim0 = 0, int dim1 = 1) {
  std::vector<int> perm(static_cast<std::size_t>(x.rank()));
  std::iota(perm.begin(), perm.end(), 0);
  std::swap(perm[static_cast<std::size_t>(x.shape().normalize_dim(dim0, "transpose"))],
            perm[static_cast<std::size_t>(x.shape().normalize_dim(dim1, "transpose"))]);
  return permute(x, perm);
}

}  // namespace duel
