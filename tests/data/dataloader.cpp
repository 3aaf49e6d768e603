#include "duel/data/dataloader.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "data/helpers.hpp"

using duel::index_t;
using duel::Shape;
using duel::Tensor;
using duel::data::Batch;
using duel::data::DataLoader;
using duel::data::Dataset;
using duel::test::error_of;

namespace {

// n images [1, 2, 3]; image i holds 10 * i + (0..5), and its label is i.
Dataset numbered(index_t n, bool labels = true) {
  Dataset d{Tensor<std::uint8_t>({n, 1, 2, 3}), labels ? Tensor<std::int64_t>({n}) : Tensor<std::int64_t>()};
  for (index_t i = 0; i < n; ++i) {
    for (index_t k = 0; k < 6; ++k) d.images.data()[i * 6 + k] = static_cast<std::uint8_t>(10 * i + k);
    if (labels) d.labels.data()[i] = i;
  }
  return d;
}

// The sample each image of a batch came from, read back from its first pixel.
std::vector<index_t> samples_of(const Batch& b) {
  std::vector<index_t> out;
  for (index_t i = 0; i < b.images.size(0); ++i) {
    float first = std::min(b.images(i, 0, 0, 0), b.images(i, 0, 0, 2));  // flipped or not
    out.push_back(std::lround((first + 1.0f) * 127.5f) / 10);
  }
  return out;
}

std::vector<index_t> all_samples(const DataLoader& loader, std::int64_t epoch) {
  std::vector<index_t> out;
  for (auto& b : loader.epoch(epoch)) {
    for (index_t s : samples_of(b)) out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("batches hold images scaled to [-1, 1] and their labels, in order without shuffle") {
  DataLoader loader(numbered(10), {.batch_size = 4, .shuffle = false, .drop_last = false});
  CHECK(loader.batches_per_epoch() == 3);
  std::vector<std::vector<std::int64_t>> labels;
  for (auto& b : loader.epoch(0)) {
    labels.emplace_back(b.labels.begin(), b.labels.end());
    CHECK(b.images.shape() == Shape{b.labels.numel(), 1, 2, 3});
  }
  CHECK(labels == std::vector<std::vector<std::int64_t>>{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}});

  Batch b = loader.batch(0, 2);
  CHECK(b.images(1, 0, 1, 2) == 95.0f / 127.5f - 1.0f);  // sample 9, pixel 5

  Dataset extremes{Tensor<std::uint8_t>({2, 1, 1, 1}), {}};
  extremes.images.data()[1] = 255;
  Batch e = DataLoader(extremes, {.batch_size = 2, .shuffle = false}).batch(0, 0);
  CHECK(e.images.data()[0] == -1.0f);
  CHECK(e.images.data()[1] == 1.0f);
  CHECK(e.labels.numel() == 0);
}

TEST_CASE("drop_last drops the short batch") {
  DataLoader loader(numbered(10), {.batch_size = 4, .shuffle = false});
  CHECK(loader.batches_per_epoch() == 2);
  CHECK(all_samples(loader, 0) == std::vector<index_t>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(DataLoader(numbered(8), {.batch_size = 4}).batches_per_epoch() == 2);
  CHECK(DataLoader(numbered(3), {.batch_size = 5, .drop_last = false}).batches_per_epoch() == 1);
}

TEST_CASE("each epoch is a permutation that depends only on (seed, epoch)") {
  DataLoader loader(numbered(25), {.batch_size = 5, .seed = 11});
  std::vector<index_t> e0 = all_samples(loader, 0), e1 = all_samples(loader, 1);
  std::vector<index_t> identity(25);
  std::iota(identity.begin(), identity.end(), index_t{0});
  CHECK(e0 != identity);
  CHECK(e0 != e1);
  std::sort(e1.begin(), e1.end());
  CHECK(e1 == identity);
  CHECK(loader.order(0) == e0);

  CHECK(all_samples(DataLoader(numbered(25), {.batch_size = 5, .seed = 11}), 0) == e0);
  CHECK(all_samples(DataLoader(numbered(25), {.batch_size = 5, .seed = 12}), 0) != e0);
  // The order does not depend on the batch size, so changing it keeps the data order.
  CHECK(DataLoader(numbered(25), {.batch_size = 2, .seed = 11}).order(0) == e0);

  // Labels travel with their images.
  for (auto& b : loader.epoch(3)) CHECK(std::vector<index_t>(b.labels.begin(), b.labels.end()) == samples_of(b));
}

TEST_CASE("a run resumed at (epoch, batch) sees the batches an uninterrupted run sees") {
  DataLoader loader(numbered(30), {.batch_size = 4, .horizontal_flip = true, .seed = 5});
  std::vector<Batch> uninterrupted;
  for (auto& b : loader.epoch(2)) uninterrupted.push_back(b);
  REQUIRE(uninterrupted.size() == 7);

  DataLoader resumed(numbered(30), {.batch_size = 4, .horizontal_flip = true, .seed = 5});
  index_t index = 4;
  for (auto& b : resumed.epoch(2, index)) {
    CHECK(duel::allclose(b.images, uninterrupted[static_cast<std::size_t>(index)].images, 0, 0));
    CHECK(std::equal(b.labels.begin(), b.labels.end(), uninterrupted[static_cast<std::size_t>(index)].labels.begin()));
    ++index;
  }
  CHECK(index == 7);
  CHECK(duel::allclose(resumed.batch(2, 1).images, uninterrupted[1].images, 0, 0));
  CHECK(resumed.epoch(2, 7).begin() == resumed.epoch(2, 7).end());
}

TEST_CASE("horizontal_flip mirrors about half the images along their width") {
  DataLoader plain(numbered(20), {.batch_size = 20, .shuffle = false});
  DataLoader flipping(numbered(20), {.batch_size = 20, .shuffle = false, .horizontal_flip = true, .seed = 3});
  Batch a = plain.batch(0, 0), b = flipping.batch(0, 0);
  int flipped = 0;
  for (index_t i = 0; i < 20; ++i) {
    bool mirrored = flipping.flipped(0, i);
    flipped += mirrored;
    for (index_t y = 0; y < 2; ++y) {
      for (index_t x = 0; x < 3; ++x) CHECK(b.images(i, 0, y, x) == a.images(i, 0, y, mirrored ? 2 - x : x));
    }
  }
  CHECK(flipped > 3);
  CHECK(flipped < 17);
  CHECK(!plain.flipped(0, 0));

  int changed = 0;  // flips are drawn anew each epoch
  for (index_t i = 0; i < 1000; ++i) changed += flipping.flipped(0, i) != flipping.flipped(1, i);
  CHECK(changed > 400);
  CHECK(changed < 600);
}

TEST_CASE("bad options and requests are ValueErrors that say what was wrong") {
  CHECK(error_of([] { DataLoader(numbered(5), {.batch_size = 0}); }) ==
        "DataLoader: batch_size must be at least 1, got 0");
  CHECK(error_of([] { DataLoader(numbered(5), {.batch_size = 6}); }) ==
        "DataLoader: batch_size 6 is larger than the 5 images and drop_last is set, so no batch would remain");
  CHECK(error_of([] { DataLoader(Dataset{}); }) == "DataLoader: the dataset holds no images (images [0])");
  Dataset mismatched = numbered(5);
  mismatched.labels = Tensor<std::int64_t>({4});
  CHECK(error_of([&] { DataLoader{mismatched}; }) == "DataLoader: labels [4] do not match 5 images");

  DataLoader loader(numbered(5), {.batch_size = 2});
  CHECK(error_of([&] { loader.batch(0, 2); }) == "DataLoader: batch 2 is outside 0..1");
  CHECK(error_of([&] { loader.batch(-1, 0); }) == "DataLoader: epoch -1 is negative");
  CHECK(error_of([&] { loader.epoch(0, 3); }) == "DataLoader: first batch 3 is outside 0..2");
}
