// MNIST and Fashion-MNIST: 28x28 grey images of ten classes, stored as IDX files.
//
// load_mnist looks in one folder for Duel's bundled subset (data/mnist10k-*.idx.gz: 8,000 train
// and 2,000 test real digits) or for the official files under their usual names, gzip-compressed
// or not. Fashion-MNIST uses the same names, so the same call loads it, e.g. from Debian's
// dataset-fashion-mnist package:
//   auto train = duel::data::load_mnist("/usr/share/datasets/fashion-mnist", duel::data::Split::train);
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "duel/data/dataset.hpp"
#include "duel/data/idx.hpp"

namespace duel::data {

enum class Split { train, test };

namespace detail {

// The file names that may hold a split's images or labels (what), in the order they are tried.
inline std::vector<std::string> mnist_file_names(Split split, std::string_view what) {
  const char* official = split == Split::train ? "train" : "t10k";
  const char* bundled = split == Split::train ? "train" : "test";
  const char* idx = what == "images" ? "idx3" : "idx1";
  return {duel::detail::cat("mnist10k-", bundled, "-", what, ".idx.gz"),
          duel::detail::cat(official, "-", what, "-", idx, "-ubyte.gz"),
          duel::detail::cat(official, "-", what, "-", idx, "-ubyte")};
}

inline std::filesystem::path find_mnist_file(const std::filesystem::path& dir, Split split, std::string_view what) {
  std::vector<std::string> names = mnist_file_names(split, what);
  std::error_code ec;
  for (const std::string& name : names) {
    if (std::filesystem::is_regular_file(dir / name, ec)) return dir / name;
  }
  std::string tried;
  for (const std::string& name : names) tried += (tried.empty() ? "" : ", ") + name;
  throw IoError(duel::detail::cat("load_mnist: no ", split == Split::train ? "train " : "test ", what, " in '",
                                  dir.string(), "'", std::filesystem::is_directory(dir, ec) ? "" : " (no such folder)",
                                  ": looked for ", tried));
}

}  // namespace detail

// The images ([N, 1, H, W] uint8) and labels ([N] int64, each 0..9) of one split, read from dir.
inline Dataset load_mnist(const std::filesystem::path& dir, Split split) {
  const std::filesystem::path image_path = detail::find_mnist_file(dir, split, "images");
  const std::filesystem::path label_path = detail::find_mnist_file(dir, split, "labels");
  Tensor<std::uint8_t> images = read_idx_u8(image_path);
  Tensor<std::uint8_t> labels = read_idx_u8(label_path);
  if (images.rank() != 3) {
    throw IoError(duel::detail::cat(image_path.string(), ": MNIST images are [N,H,W], found ", images.shape()));
  }
  if (labels.rank() != 1) {
    throw IoError(duel::detail::cat(label_path.string(), ": MNIST labels are [N], found ", labels.shape()));
  }
  if (labels.size(0) != images.size(0)) {
    throw IoError(duel::detail::cat("load_mnist: ", image_path.string(), " holds ", images.size(0), " images but ",
                                    label_path.string(), " holds ", labels.size(0), " labels"));
  }
  for (index_t i = 0; i < labels.numel(); ++i) {
    if (labels.data()[i] > 9) {
      throw IoError(duel::detail::cat(label_path.string(), ": label ", int{labels.data()[i]}, " of image ", i,
                                      " is outside 0..9"));
    }
  }
  return Dataset{images.reshape({images.size(0), 1, images.size(1), images.size(2)}), labels.to<std::int64_t>()};
}

}  // namespace duel::data
