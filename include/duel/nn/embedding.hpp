// Embedding: a table of num_embeddings learned vectors of size embedding_dim, looked up by index
// (torch.nn.Embedding). Initialised from N(0, 1) as in PyTorch; the optional padding_idx row starts
// at zero and is never trained. Conditional GANs use it to turn a class label into a vector.
#pragma once

#include "duel/nn/init.hpp"

namespace duel::nn {

class Embedding : public Module {
 public:
  Embedding(index_t num_embeddings, index_t embedding_dim, std::int64_t padding_idx = -1) : padding_idx_(padding_idx) {
    if (padding_idx >= num_embeddings) {
      throw ValueError(detail::cat("Embedding: padding_idx ", padding_idx, " is out of range for ", num_embeddings, " embeddings"));
    }
    weight = register_parameter("weight", Tensor<float>({num_embeddings, embedding_dim}));
    init::normal_(weight);
    if (padding_idx >= 0) weight.value().as_matrix().row(padding_idx).setZero();
  }

  std::string name() const override { return "Embedding"; }
  std::string extra_repr() const override {
    return detail::cat(weight.size(0), ", ", weight.size(1), padding_idx_ >= 0 ? detail::cat(", padding_idx=", padding_idx_) : "");
  }

  // indices of any shape S -> [S..., embedding_dim]. Module's forward(Var) stays visible (clang's
  // -Woverloaded-virtual), and throws: an embedding takes integer indices.
  using Module::forward;
  Var<float> forward(const Tensor<std::int64_t>& indices) { return embedding(indices, weight, padding_idx_); }
  Var<float> operator()(const Tensor<std::int64_t>& indices) { return forward(indices); }

  Var<float> weight;

 private:
  std::int64_t padding_idx_;
};

}  // namespace duel::nn
