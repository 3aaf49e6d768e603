// Image grids: a batch of generated images tiled into one picture, as torchvision's make_grid and
// save_image do, for watching a GAN learn.
//
//   save_image_grid("samples/step_1000.png", tanh_output);   // [64, 1, 28, 28] in [-1, 1]
//
// Images [N, C, H, W] (C = 1 grey or 3 RGB) are placed nrow to a row, left to right then top to
// bottom, with `padding` pixels between tiles and around the border. A value v becomes the byte
//   round(255 * clamp((v - low) / (high - low), 0, 1))      (value_range = {low, high})
// so the generator's tanh range [-1, 1] maps to 0..255; NaN becomes 0. pad_value is a brightness
// in [0, 1] (0 black, 1 white), as in torchvision. Unlike torchvision, grey images stay grey
// (a 1-channel PNG) rather than being copied into three channels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <utility>

#include "duel/io/png.hpp"
#include "duel/tensor/tensor.hpp"

namespace duel::io {

struct ImageGridOptions {
  index_t nrow = 8;                                  // images per row of the grid
  index_t padding = 2;                               // pixels between images and around the grid
  float pad_value = 0.0f;                            // brightness of the padding: 0 black .. 1 white
  std::pair<float, float> value_range{-1.0f, 1.0f};  // the values shown as black and white
};

namespace detail {

inline std::uint8_t to_byte(float value, float low, float high) {
  const float t = (value - low) / (high - low);
  if (!(t > 0.0f)) return 0;  // also NaN
  if (t >= 1.0f) return 255;
  return static_cast<std::uint8_t>(t * 255.0f + 0.5f);
}

}  // namespace detail

// Every value mapped to a byte: value_range's low to 0, high to 255, rounded; e.g. generated images
// in [-1, 1] back to pixels, the inverse of the data loader's x / 127.5 - 1.
inline Tensor<std::uint8_t> to_bytes(const Tensor<float>& values, std::pair<float, float> value_range = {-1.0f, 1.0f}) {
  Tensor<std::uint8_t> out = Tensor<std::uint8_t>::empty(values.shape());
  for (index_t i = 0; i < values.numel(); ++i) out.data()[i] = detail::to_byte(values.data()[i], value_range.first, value_range.second);
  return out;
}

// The grid as an image [H, W, C] of bytes.
inline Tensor<std::uint8_t> make_image_grid(const Tensor<float>& images, const ImageGridOptions& options = {}) {
  const Shape& s = images.shape();
  if (s.rank() != 4 || (s[1] != 1 && s[1] != 3) || s[0] == 0 || s[2] == 0 || s[3] == 0) {
    throw ShapeError(
        duel::detail::cat("make_image_grid: expected images [N, C, H, W] with N, H, W > 0 and C = 1 or 3, got ", s));
  }
  const auto [low, high] = options.value_range;
  if (options.nrow < 1 || options.padding < 0 || !(high > low)) {
    throw ValueError(duel::detail::cat("make_image_grid: need nrow >= 1, padding >= 0 and value_range low < high; ",
                                       "got nrow ", options.nrow, ", padding ", options.padding, ", value_range [",
                                       low, ", ", high, "]"));
  }
  const index_t n = s[0], channels = s[1], height = s[2], width = s[3], pad = options.padding;
  const index_t columns = std::min(options.nrow, n), rows = (n + columns - 1) / columns;
  const index_t cell_h = height + pad, cell_w = width + pad;
  Tensor<std::uint8_t> grid = Tensor<std::uint8_t>::empty({rows * cell_h + pad, columns * cell_w + pad, channels});
  grid.fill_(detail::to_byte(options.pad_value, 0.0f, 1.0f));
  for (index_t k = 0; k < n; ++k) {
    const index_t top = (k / columns) * cell_h + pad, left = (k % columns) * cell_w + pad;
    for (index_t c = 0; c < channels; ++c) {
      for (index_t y = 0; y < height; ++y) {
        for (index_t x = 0; x < width; ++x) grid(top + y, left + x, c) = detail::to_byte(images(k, c, y, x), low, high);
      }
    }
  }
  return grid;
}

// Tiles images [N, C, H, W] into a grid and writes it as a PNG file, atomically.
inline void save_image_grid(const std::filesystem::path& path, const Tensor<float>& images,
                            const ImageGridOptions& options = {}) {
  save_png(path, make_image_grid(images, options));
}

}  // namespace duel::io
