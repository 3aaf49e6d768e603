// Embedding: a table of num_embeddings learned vectors of size embedding_dim, looked up by index
// (torch.nn.Embedding). Initialised from N(0, 1) as in PyTorch. Conditional GANs use it to turn a
// class label into a vector.
#pragma once

#include "duel/nn/init.hpp"

namespace duel::nn {

class Embedding : public Module {
 public:
  Embedding(index_t num_embeddings, index_t embedding_dim) {
    weight = register_parameter("weight", Tensor<float>({num_embeddings, embedding_dim}));
    init::normal_(weight);
  }

  std::string name() const override { return "Embedding"; }
  std::string extra_repr() const override { return detail::cat(weight.size(0), ", ", weight.size(1)); }

  // indices of any shape S -> [S..., embedding_dim]
  Var<float> forward(const Tensor<std::int64_t>& indices) { return embedding(indices, weight); }
  Var<float> operator()(const Tensor<std::int64_t>& indices) { return forward(indices); }

  Var<float> weight;
};

}  // namespace duel::nn
