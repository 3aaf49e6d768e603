// PNG images from byte tensors, encoded with stb_image_write.
//
// An image here is a Tensor<std::uint8_t> of shape [H, W, C], rows top to bottom, channels
// interleaved: C = 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. image_grid.hpp turns float batches
// [N, C, H, W] into such images.
#pragma once

#include <climits>
#include <cstdint>
#include <filesystem>
#include <string>

#include "duel/io/atomic_file.hpp"
#include "duel/io/stb_image_write.hpp"
#include "duel/tensor/tensor.hpp"

namespace duel::io {

// The PNG file's bytes.
inline std::string encode_png(const Tensor<std::uint8_t>& hwc) {
  const Shape& s = hwc.shape();
  if (s.rank() != 3 || s[2] < 1 || s[2] > 4 || s[0] == 0 || s[1] == 0) {
    throw ShapeError(duel::detail::cat("encode_png: expected an image [H, W, C] with H, W > 0 and C in 1..4, got ", s));
  }
  // stb_image_write works in int and needs (W * C + 1) * H bytes of scratch.
  if (s[1] > INT_MAX / 4 || (s[1] * s[2] + 1) > INT_MAX / s[0]) {
    throw ShapeError(duel::detail::cat("encode_png: image ", s, " is too large for one PNG"));
  }
  const int height = static_cast<int>(s[0]), width = static_cast<int>(s[1]), channels = static_cast<int>(s[2]);
  std::string png;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<std::size_t>(size));
  };
  if (!stbi_write_png_to_func(append, &png, width, height, channels, hwc.data(), width * channels)) {
    throw IoError(duel::detail::cat("encode_png: stb_image_write could not encode an image ", s));
  }
  return png;
}

// Writes the image [H, W, C] as a PNG file, atomically.
inline void save_png(const std::filesystem::path& path, const Tensor<std::uint8_t>& hwc) {
  write_file_atomically(path, encode_png(hwc));
}

}  // namespace duel::io
