#include "duel/io/png.hpp"

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "duel/data/stb_image.hpp"
#include "io/io_test.hpp"

using duel::Shape;
using duel::Tensor;
using duel::test::check_error;

namespace {

struct Decoded {
  int width = 0, height = 0, channels = 0;
  std::vector<std::uint8_t> pixels;
};

Decoded decode(const std::string& png) {
  Decoded d;
  std::unique_ptr<unsigned char, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()), static_cast<int>(png.size()), &d.width,
                            &d.height, &d.channels, 0),
      stbi_image_free);
  REQUIRE_MESSAGE(pixels, "stb_image cannot decode it: ", stbi_failure_reason());
  d.pixels.assign(pixels.get(), pixels.get() + d.width * d.height * d.channels);
  return d;
}

Tensor<std::uint8_t> pattern(const Shape& shape) {
  Tensor<std::uint8_t> image(shape);
  for (duel::index_t i = 0; i < image.numel(); ++i) image.data()[i] = static_cast<std::uint8_t>(i * 37 % 256);
  return image;
}

}  // namespace

TEST_CASE("encode_png gives a PNG that decodes to the same pixels, for 1 to 4 channels") {
  for (duel::index_t channels = 1; channels <= 4; ++channels) {
    const Tensor<std::uint8_t> image = pattern({5, 7, channels});
    const std::string png = duel::io::encode_png(image);
    CHECK(png.substr(0, 8) == "\x89PNG\r\n\x1a\n");
    const Decoded d = decode(png);
    CHECK(d.height == 5);
    CHECK(d.width == 7);
    CHECK(d.channels == channels);
    CHECK(d.pixels == std::vector<std::uint8_t>(image.begin(), image.end()));
  }
}

TEST_CASE("save_png writes the file") {
  duel::test::TempDir dir;
  const Tensor<std::uint8_t> image = pattern({3, 2, 3});
  duel::io::save_png(dir / "a.png", image);
  const Decoded d = decode(duel::test::read_bytes(dir / "a.png"));
  CHECK(d.width == 2);
  CHECK(d.pixels == std::vector<std::uint8_t>(image.begin(), image.end()));
}

TEST_CASE("encode_png refuses shapes that are not images [H, W, C]") {
  check_error<duel::ShapeError>([] { duel::io::encode_png(Tensor<std::uint8_t>({4, 4})); }, {"got [4,4]"});
  check_error<duel::ShapeError>(
      [] {
        duel::io::encode_png(Tensor<std::uint8_t>({4, 4, 5}));
      },
      {"C in 1..4, got [4,4,5]"});
  check_error<duel::ShapeError>([] { duel::io::encode_png(Tensor<std::uint8_t>({0, 4, 3})); }, {"got [0,4,3]"});
}
