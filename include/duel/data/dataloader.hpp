// DataLoader: a Dataset served as batches of float images in [-1, 1], in shuffled order.
//
// Everything random is a pure function of (seed, epoch). The order of epoch e is a Fisher-Yates
// shuffle driven by a Generator seeded from (seed, e); whether sample i is mirrored in epoch e is
// one bit of another generator seeded from (seed, e). So batch (e, b) is the same whether a run
// got there without stopping or resumed at (e, b) from a checkpoint, and any batch can be asked
// for directly. Pixels are scaled as x / 127.5 - 1, mapping 0..255 onto [-1, 1], the range of a
// generator's tanh output.
//
//   duel::data::DataLoader loader(train, {.batch_size = 64, .seed = 1});
//   for (std::int64_t e = 0; e < epochs; ++e)
//     for (auto& batch : loader.epoch(e)) step(batch.images, batch.labels);
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "duel/data/dataset.hpp"
#include "duel/tensor/random.hpp"
#include "duel/tensor/tensor.hpp"

namespace duel::data {

struct Batch {
  Tensor<float> images;         // [B, C, H, W], in [-1, 1]
  Tensor<std::int64_t> labels;  // [B], or empty when the dataset has no labels
};

struct DataLoaderOptions {
  index_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = true;         // skip the last, smaller batch: GAN steps want equal batches
  bool horizontal_flip = false;  // mirror each image left-right with probability 1/2
  std::uint64_t seed = 0;
};

class DataLoader {
 public:
  using Options = DataLoaderOptions;
  class Epoch;

  // Keeps a copy of data (tensor copies share their buffers, so this is cheap).
  explicit DataLoader(const Dataset& data, Options options = {}) : data_(data), options_(options) {
    const index_t n = data_.size();
    if (options_.batch_size < 1) {
      throw ValueError(duel::detail::cat("DataLoader: batch_size must be at least 1, got ", options_.batch_size));
    }
    if (data_.images.rank() < 2 || n == 0) {
      throw ValueError(
          duel::detail::cat("DataLoader: the dataset holds no images (images ", data_.images.shape(), ")"));
    }
    if (data_.has_labels() && !(data_.labels.shape() == Shape{n})) {
      throw ShapeError(duel::detail::cat("DataLoader: labels ", data_.labels.shape(), " do not match ", n, " images"));
    }
    if (options_.drop_last && options_.batch_size > n) {
      throw ValueError(duel::detail::cat("DataLoader: batch_size ", options_.batch_size, " is larger than the ", n,
                                         " images and drop_last is set, so no batch would remain"));
    }
  }

  const Dataset& dataset() const { return data_; }
  const Options& options() const { return options_; }

  index_t batches_per_epoch() const {
    const index_t n = data_.size(), b = options_.batch_size;
    return options_.drop_last ? n / b : (n + b - 1) / b;
  }

  // The order in which epoch e visits the samples.
  std::vector<index_t> order(std::int64_t e) const {
    std::vector<index_t> p(static_cast<std::size_t>(data_.size()));
    std::iota(p.begin(), p.end(), index_t{0});
    if (options_.shuffle) {
      Generator gen(stream_seed(e, 0));
      for (std::size_t i = p.size() - 1; i > 0; --i) std::swap(p[i], p[gen.next_below(i + 1)]);
    }
    return p;
  }

  // Whether sample i is mirrored in epoch e.
  bool flipped(std::int64_t e, index_t sample) const {
    return options_.horizontal_flip && (Generator(stream_seed(e, 1)).bits(static_cast<std::uint64_t>(sample)) & 1);
  }

  // Epoch e as a range of batches, starting at batch `first` (to resume inside an epoch).
  Epoch epoch(std::int64_t e, index_t first = 0) const;

  // Batch `index` of epoch e. It draws the epoch's order each call: iterate an Epoch for many.
  Batch batch(std::int64_t e, index_t index) const;

 private:
  // The seed of random stream s (0: order, 1: flips) of epoch e.
  std::uint64_t stream_seed(std::int64_t e, std::uint64_t s) const {
    if (e < 0) throw ValueError(duel::detail::cat("DataLoader: epoch ", e, " is negative"));
    return Generator(options_.seed).bits(2 * static_cast<std::uint64_t>(e) + s);
  }

  Dataset data_;
  Options options_;
};

class DataLoader::Epoch {
 public:
  class iterator {
   public:
    iterator(const Epoch* epoch, index_t index) : epoch_(epoch), index_(index) { load(); }
    Batch& operator*() { return batch_; }
    Batch* operator->() { return &batch_; }
    iterator& operator++() {
      ++index_;
      load();
      return *this;
    }
    bool operator==(const iterator& other) const { return index_ == other.index_; }

   private:
    void load() {
      if (index_ < epoch_->loader_.batches_per_epoch()) batch_ = epoch_->batch(index_);
    }
    const Epoch* epoch_;
    index_t index_;
    Batch batch_;
  };

  Epoch(const DataLoader& loader, std::int64_t e, index_t first)
      : loader_(loader), epoch_(e), order_(loader.order(e)), first_(first) {
    if (first < 0 || first > loader.batches_per_epoch()) {
      throw ValueError(
          duel::detail::cat("DataLoader: first batch ", first, " is outside 0..", loader.batches_per_epoch()));
    }
  }

  iterator begin() const { return iterator(this, first_); }
  iterator end() const { return iterator(this, loader_.batches_per_epoch()); }

  // Batch `index` of this epoch: rows order[index * B, ...) of the dataset, converted to float.
  Batch batch(index_t index) const {
    const index_t count = loader_.batches_per_epoch();
    if (index < 0 || index >= count) {
      throw ValueError(duel::detail::cat("DataLoader: batch ", index, " is outside 0..", count - 1));
    }
    const Dataset& data = loader_.data_;
    const index_t start = index * loader_.options_.batch_size;
    const index_t b = std::min(loader_.options_.batch_size, data.size() - start);
    const index_t row = data.images.numel() / data.size(), width = data.images.shape().back();
    Shape shape = data.images.shape();
    shape[0] = b;
    Batch out{Tensor<float>::empty(shape),
              data.has_labels() ? Tensor<std::int64_t>::empty({b}) : Tensor<std::int64_t>()};
    for (index_t k = 0; k < b; ++k) {
      const index_t sample = order_[static_cast<std::size_t>(start + k)];
      const std::uint8_t* src = data.images.data() + sample * row;
      float* dst = out.images.data() + k * row;
      if (loader_.flipped(epoch_, sample)) {
        for (index_t line = 0; line < row; line += width) {
          for (index_t x = 0; x < width; ++x)
            dst[line + x] = static_cast<float>(src[line + width - 1 - x]) / 127.5f - 1.0f;
        }
      } else {
        for (index_t i = 0; i < row; ++i) dst[i] = static_cast<float>(src[i]) / 127.5f - 1.0f;
      }
      if (data.has_labels()) out.labels.data()[k] = data.labels.data()[sample];
    }
    return out;
  }

 private:
  DataLoader loader_;
  std::int64_t epoch_;
  std::vector<index_t> order_;
  index_t first_;
};

inline DataLoader::Epoch DataLoader::epoch(std::int64_t e, index_t first) const { return Epoch(*this, e, first); }

inline Batch DataLoader::batch(std::int64_t e, index_t index) const { return Epoch(*this, e, 0).batch(index); }

}  // namespace duel::data
