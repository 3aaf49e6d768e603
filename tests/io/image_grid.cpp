#include "duel/io/image_grid.hpp"

#include <cmath>
#include <memory>
#include <string>

#include "duel/data/stb_image.hpp"
#include "duel/tensor/factories.hpp"
#include "io/io_test.hpp"

using duel::Shape;
using duel::Tensor;
using duel::io::ImageGridOptions;
using duel::io::make_image_grid;
using duel::test::check_error;

TEST_CASE("make_image_grid lays images out as torchvision's make_grid does") {
  // Three 1x2x2 images, two per row, 1 pixel of padding: a 7x7 grid, the fourth cell empty.
  Tensor<float> images({3, 1, 2, 2});
  const float values[12] = {-1, 1, 0, 2, -0.5f, NAN, 0.5f, -7, 1, 1, 1, 1};
  std::copy(values, values + 12, images.begin());
  const Tensor<std::uint8_t> grid = make_image_grid(images, {.nrow = 2, .padding = 1, .pad_value = 0.5f});
  REQUIRE(grid.shape() == Shape{7, 7, 1});
  const std::uint8_t p = 128;  // round(0.5 * 255)
  const std::uint8_t expected[7][7] = {{p, p, p, p, p, p, p}, {p, 0, 255, p, 64, 0, p},  {p, 128, 255, p, 191, 0, p},
                                       {p, p, p, p, p, p, p}, {p, 255, 255, p, p, p, p}, {p, 255, 255, p, p, p, p},
                                       {p, p, p, p, p, p, p}};
  for (int y = 0; y < 7; ++y) {
    for (int x = 0; x < 7; ++x) CHECK_MESSAGE(grid(y, x, 0) == expected[y][x], "pixel (", y, ", ", x, ")");
  }
}

TEST_CASE("make_image_grid: torchvision's sizes, RGB channels and value_range") {
  CHECK(make_image_grid(Tensor<float>({64, 1, 28, 28})).shape() == Shape{242, 242, 1});
  CHECK(make_image_grid(Tensor<float>({10, 3, 32, 32}), {.nrow = 4}).shape() == Shape{3 * 34 + 2, 4 * 34 + 2, 3});
  CHECK(make_image_grid(Tensor<float>({3, 1, 5, 5}), {.padding = 0}).shape() == Shape{5, 15, 1});

  Tensor<float> red({1, 3, 1, 1});
  red(0, 0, 0, 0) = 1.0f;
  red(0, 1, 0, 0) = -1.0f;
  red(0, 2, 0, 0) = 0.0f;
  const Tensor<std::uint8_t> pixel = make_image_grid(red, {.padding = 0});
  CHECK(pixel(0, 0, 0) == 255);
  CHECK(pixel(0, 0, 1) == 0);
  CHECK(pixel(0, 0, 2) == 128);

  const Tensor<std::uint8_t> unit =
      make_image_grid(duel::full<float>({1, 1, 1, 1}, 0.25f), {.padding = 0, .value_range = {0.0f, 1.0f}});
  CHECK(unit(0, 0, 0) == 64);  // round(63.75)
}

TEST_CASE("save_image_grid writes a PNG that decodes to the grid") {
  duel::test::TempDir dir;
  Tensor<float> images({5, 3, 4, 6});
  for (duel::index_t i = 0; i < images.numel(); ++i) images.data()[i] = std::sin(0.37f * static_cast<float>(i));
  const ImageGridOptions options{.nrow = 3, .padding = 2, .pad_value = 1.0f};
  duel::io::save_image_grid(dir / "grid.png", images, options);
  const Tensor<std::uint8_t> grid = make_image_grid(images, options);
  const std::string png = duel::test::read_bytes(dir / "grid.png");
  int width = 0, height = 0, channels = 0;
  std::unique_ptr<unsigned char, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const unsigned char*>(png.data()), static_cast<int>(png.size()), &width,
                            &height, &channels, 0),
      stbi_image_free);
  REQUIRE(pixels);
  CHECK(height == 2 * 6 + 2);
  CHECK(width == 3 * 8 + 2);
  CHECK(channels == 3);
  CHECK(std::equal(grid.begin(), grid.end(), pixels.get()));
  CHECK(pixels.get()[0] == 255);  // the white border
}

TEST_CASE("make_image_grid refuses other shapes and bad options") {
  check_error<duel::ShapeError>([] { make_image_grid(Tensor<float>({2, 28, 28})); }, {"got [2,28,28]"});
  check_error<duel::ShapeError>(
      [] {
        make_image_grid(Tensor<float>({2, 2, 28, 28}));
      },
      {"C = 1 or 3, got [2,2,28,28]"});
  check_error<duel::ShapeError>([] { make_image_grid(Tensor<float>({0, 1, 28, 28})); }, {"got [0,1,28,28]"});
  check_error<duel::ValueError>([] { make_image_grid(Tensor<float>({1, 1, 2, 2}), {.nrow = 0}); }, {"got nrow 0"});
  check_error<duel::ValueError>([] { make_image_grid(Tensor<float>({1, 1, 2, 2}), {.padding = -1}); }, {"padding -1"});
  check_error<duel::ValueError>(
      [] {
        make_image_grid(Tensor<float>({1, 1, 2, 2}), {.value_range = {1.0f, 1.0f}});
      },
      {"value_range [1, 1]"});
}
