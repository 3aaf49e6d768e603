// embedding: rows of a table picked by integer indices, as torch.nn.functional.embedding.
// y = weight[indices] is linear in the table; its adjoint adds each gradient row back onto the row
// it was read from (rows picked several times receive the sum).
#pragma once

#include <cstring>

#include "duel/ops/linear_map.hpp"

namespace duel {

// indices of any shape S, weight [num_embeddings, dim] -> [S..., dim]. The row padding_idx (if
// >= 0) receives no gradient, as in PyTorch.
template <class T>
Var<T> embedding(const Tensor<std::int64_t>& indices, const Var<T>& weight, std::int64_t padding_idx = -1) {
  if (weight.rank() != 2) throw ShapeError(detail::cat("embedding: weight must be [num_embeddings, dim], got ", weight.shape()));
  const index_t rows = weight.size(0), dim = weight.size(1);
  for (std::int64_t i : indices) {
    if (i < 0 || i >= rows) {
      throw ValueError(detail::cat("embedding: index ", i, " is out of range for ", rows, " embeddings"));
    }
  }
  Shape out_shape = indices.shape();
  out_shape.push_back(dim);
  const Shape table = weight.shape();
  auto pick = [indices, out_shape, dim](const Tensor<T>& w) {
    Tensor<T> out = Tensor<T>::empty(out_shape);
    for (index_t k = 0; k < indices.numel(); ++k) {
      std::memcpy(out.data() + k * dim, w.data() + indices.data()[k] * dim, static_cast<std::size_t>(dim) * sizeof(T));
    }
    return out;
  };
  auto add_back = [indices, table, dim, padding_idx](const Tensor<T>& g) {
    Tensor<T> out(table);
    for (index_t k = 0; k < indices.numel(); ++k) {
      if (indices.data()[k] == padding_idx) continue;
      T* row = out.data() + indices.data()[k] * dim;
      const T* src = g.data() + k * dim;
      for (index_t j = 0; j < dim; ++j) row[j] += src[j];
    }
    return out;
  };
  return detail::linear_map("embedding", "embedding_adjoint", weight, pick, add_back);
}

}  // namespace duel
