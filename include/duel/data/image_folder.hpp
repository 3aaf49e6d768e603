// ImageFolder: every PNG and JPEG under a folder, as a Dataset of square images.
//
// Files are found recursively (.png, .jpg, .jpeg in any case) and sorted by path, so the order,
// and with it a seeded run, is the same on every machine. Each is decoded by stb_image, center-
// cropped to a square and resized to size x size: shrinking averages the source area under each
// output pixel (a box filter, which does not alias as picking pixels would); growing interpolates
// bilinearly between pixel centers. Colour images become grey by stb's luma weights when
// channels = 1; alpha is dropped. A file that cannot be read is skipped and listed in `skipped`
// with the reason, for the caller to report: the library prints nothing.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "duel/data/dataset.hpp"
#include "duel/data/file.hpp"
#include "duel/data/stb_image.hpp"
#include "duel/tensor/parallel.hpp"

namespace duel::data {

struct SkippedFile {
  std::filesystem::path path;
  std::string reason;
};

// The images, with no labels, plus which files they came from and which were skipped.
struct ImageFolder : Dataset {
  std::vector<std::filesystem::path> files;  // files[i] holds images[i]
  std::vector<SkippedFile> skipped;
};

// Larger files or images are skipped rather than decoded (256 MiB; 2^26 pixels, 8192 x 8192).
inline constexpr std::uint64_t max_image_file_bytes = std::uint64_t{1} << 28;
inline constexpr std::int64_t max_image_pixels = std::int64_t{1} << 26;

namespace detail {

using Taps = std::vector<std::vector<std::pair<int, float>>>;

// For each of m output pixels along a line of n source pixels, the (source index, weight) pairs
// that make it. Shrinking: output i covers source [i*n/m, (i+1)*n/m), each pixel weighted by its
// overlap. Growing: output i's center lies at source x = (i + 0.5) * n/m - 0.5, between two pixels.
inline Taps resample_taps(int n, int m) {
  Taps taps(static_cast<std::size_t>(m));
  const double scale = static_cast<double>(n) / m;
  for (int i = 0; i < m; ++i) {
    auto& t = taps[static_cast<std::size_t>(i)];
    if (scale >= 1) {
      const double lo = i * scale, hi = (i + 1) * scale;
      for (int j = static_cast<int>(lo); j < n && j < hi; ++j) {
        double w = (std::min(hi, j + 1.0) - std::max(lo, static_cast<double>(j))) / scale;
        if (w > 0) t.emplace_back(j, static_cast<float>(w));
      }
    } else {
      const double x = std::clamp((i + 0.5) * scale - 0.5, 0.0, n - 1.0);
      const int j = static_cast<int>(x);
      const double f = x - j;
      t.emplace_back(j, static_cast<float>(1 - f));
      if (f > 0) t.emplace_back(j + 1, static_cast<float>(f));
    }
  }
  return taps;
}

// Center-crops an h x w image of c interleaved channels to a square, resizes it to size x size
// (along x, then along y) and writes it planar, [c, size, size], to out.
inline void crop_resize(const std::uint8_t* pixels, int w, int h, int c, int size, std::uint8_t* out) {
  const int s = std::min(w, h), x0 = (w - s) / 2, y0 = (h - s) / 2;
  const Taps taps = resample_taps(s, size);
  const std::size_t row = static_cast<std::size_t>(size) * c;
  std::vector<float> rows(static_cast<std::size_t>(s) * row);
  for (int y = 0; y < s; ++y) {
    const std::uint8_t* src = pixels + (static_cast<std::size_t>(y0 + y) * w + x0) * c;
    for (int x = 0; x < size; ++x) {
      for (int ch = 0; ch < c; ++ch) {
        float acc = 0;
        for (auto [j, wt] : taps[x]) acc += wt * src[j * c + ch];
        rows[y * row + x * c + ch] = acc;
      }
    }
  }
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      for (int ch = 0; ch < c; ++ch) {
        float acc = 0;
        for (auto [j, wt] : taps[y]) acc += wt * rows[j * row + x * c + ch];
        out[(static_cast<std::size_t>(ch) * size + y) * size + x] =
            static_cast<std::uint8_t>(std::clamp(std::lround(acc), 0L, 255L));
      }
    }
  }
}

// Why stb_image failed last (on this thread).
inline const char* stb_reason() {
  const char* reason = stbi_failure_reason();
  return reason ? reason : "no reason given";
}

// Decodes the image file at path into out ([channels, size, size]); returns why not, or "".
inline std::string load_square_image(const std::filesystem::path& path, int size, int channels, std::uint8_t* out) {
  std::vector<std::uint8_t> bytes = read_file(path, max_image_file_bytes);
  const int len = static_cast<int>(bytes.size());
  int w = 0, h = 0, n = 0;
  if (!stbi_info_from_memory(bytes.data(), len, &w, &h, &n)) {
    return duel::detail::cat("not a PNG or JPEG stb_image can read (", stb_reason(), ")");
  }
  if (std::int64_t{w} * h > max_image_pixels) {
    return duel::detail::cat("image is ", w, "x", h, ", over the limit of ", max_image_pixels, " pixels");
  }
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(stbi_load_from_memory(bytes.data(), len, &w, &h, &n, channels),
                                                   &stbi_image_free);
  if (!pixels) return duel::detail::cat("cannot decode (", stb_reason(), ")");
  crop_resize(pixels.get(), w, h, channels, size, out);
  return "";
}

// The .png/.jpg/.jpeg files under dir, recursively, sorted by path.
inline std::vector<std::filesystem::path> find_images(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw IoError(duel::detail::cat("load_image_folder: '", dir.string(), "' is not a folder"));
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string ext = it->path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if ((ext == ".png" || ext == ".jpg" || ext == ".jpeg") && it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) throw IoError(duel::detail::cat("load_image_folder: listing '", dir.string(), "' failed: ", ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace detail

// Every image under dir as [N, channels, size, size] uint8; channels is 1 (grey) or 3 (RGB).
// Decoding runs on Duel's threads.
inline ImageFolder load_image_folder(const std::filesystem::path& dir, int size, int channels = 3) {
  if (size < 1 || size > 4096)
    throw ValueError(duel::detail::cat("load_image_folder: size ", size, " is outside 1..4096"));
  if (channels != 1 && channels != 3) {
    throw ValueError(duel::detail::cat("load_image_folder: channels must be 1 or 3, got ", channels));
  }
  std::vector<std::filesystem::path> files = detail::find_images(dir);
  if (files.empty()) {
    throw IoError(duel::detail::cat("load_image_folder: no .png, .jpg or .jpeg files under '", dir.string(), "'"));
  }
  const auto n = static_cast<index_t>(files.size());
  const index_t stride = index_t{channels} * size * size;
  auto all = Tensor<std::uint8_t>::empty({n, channels, size, size});
  std::vector<std::string> reasons(files.size());
  parallel_for(0, n, 1, [&](index_t lo, index_t hi) {
    for (index_t i = lo; i < hi; ++i) {
      try {
        reasons[i] = detail::load_square_image(files[i], size, channels, all.data() + i * stride);
      } catch (const std::exception& e) {
        reasons[i] = e.what();
      }
    }
  });

  ImageFolder out;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (reasons[i].empty())
      out.files.push_back(files[i]);
    else
      out.skipped.push_back({files[i], reasons[i]});
  }
  if (out.files.empty()) {
    throw IoError(duel::detail::cat("load_image_folder: none of the ", n, " image files under '", dir.string(),
                                    "' could be read; the first, ", files[0].string(), ": ", reasons[0]));
  }
  if (out.skipped.empty()) {
    out.images = all;
    return out;
  }
  out.images = Tensor<std::uint8_t>::empty({static_cast<index_t>(out.files.size()), channels, size, size});
  for (std::size_t i = 0, k = 0; i < files.size(); ++i) {
    if (reasons[i].empty()) std::copy_n(all.data() + i * stride, stride, out.images.data() + k++ * stride);
  }
  return out;
}

}  // namespace duel::data
