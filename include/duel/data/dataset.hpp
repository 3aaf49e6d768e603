// Dataset: images as bytes, [N, C, H, W], and optionally one class label per image.
//
// Images stay uint8 (a quarter of the memory of float); the DataLoader converts each batch to
// float in [-1, 1] as it copies it out. Copies share the tensors' buffers, as Tensor copies do.
#pragma once

#include <cstdint>

#include "duel/tensor/tensor.hpp"

namespace duel::data {

struct Dataset {
  Tensor<std::uint8_t> images;  // [N, C, H, W]
  Tensor<std::int64_t> labels;  // [N], or empty when the images have no labels

  index_t size() const { return images.rank() > 0 ? images.size(0) : 0; }
  bool has_labels() const { return labels.numel() > 0; }
};

}  // namespace duel::data
