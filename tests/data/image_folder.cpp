#include "duel/data/image_folder.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/helpers.hpp"
#include "duel/io/stb_image_write.hpp"

using duel::Shape;
using duel::data::load_image_folder;
using duel::test::error_of;
using duel::test::TempDir;
using Bytes = std::vector<std::uint8_t>;
namespace fs = std::filesystem;

namespace {

void write_png(const fs::path& path, int w, int h, int c, const Bytes& pixels) {
  fs::create_directories(path.parent_path());
  REQUIRE(stbi_write_png(path.string().c_str(), w, h, c, pixels.data(), w * c) != 0);
}

// A w x h image of c channels whose pixel (x, y) is f(x, y) in every channel.
template <class F>
Bytes image(int w, int h, int c, F f) {
  Bytes px;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      for (int ch = 0; ch < c; ++ch) px.push_back(static_cast<std::uint8_t>(f(x, y, ch)));
    }
  }
  return px;
}

// The single image of a folder holding just one file, as planar bytes.
Bytes load_one(const fs::path& file, int size, int channels) {
  auto folder = load_image_folder(file.parent_path(), size, channels);
  REQUIRE(folder.size() == 1);
  CHECK(folder.images.shape() == Shape{1, channels, size, size});
  CHECK(folder.labels.numel() == 0);
  return Bytes(folder.images.begin(), folder.images.end());
}

}  // namespace

TEST_CASE("shrinking averages the source area under each output pixel") {
  TempDir dir;
  write_png(dir / "q.png", 4, 4, 1, image(4, 4, 1, [](int x, int y, int) { return 40 * (x / 2) + 80 * (y / 2); }));
  CHECK(load_one(dir / "q.png", 2, 1) == Bytes{0, 40, 80, 120});

  // 3 -> 2: output 0 covers source [0, 1.5), weights 2/3 and 1/3: (0 * 2 + 30) / 3 = 10, (30 + 60 * 2) / 3 = 50.
  TempDir dir3;
  write_png(dir3 / "r.png", 3, 3, 1, image(3, 3, 1, [](int x, int, int) { return 30 * x; }));
  CHECK(load_one(dir3 / "r.png", 2, 1) == Bytes{10, 50, 10, 50});
}

TEST_CASE("growing interpolates bilinearly between pixel centers") {
  TempDir dir;
  write_png(dir / "g.png", 2, 2, 1, Bytes{0, 100, 100, 200});
  CHECK(load_one(dir / "g.png", 4, 1) ==
        Bytes{0, 25, 75, 100, 25, 50, 100, 125, 75, 100, 150, 175, 100, 125, 175, 200});
}

TEST_CASE("images are center-cropped to a square and stored planar") {
  TempDir wide;
  auto colour = [](int x, int, int ch) { return x == 0 || x == 5 ? (ch == 0 ? 255 : 0) : 100 * ch; };
  write_png(wide / "w.png", 6, 4, 3, image(6, 4, 3, colour));
  Bytes want(16, 0);
  want.insert(want.end(), 16, 100);
  want.insert(want.end(), 16, 200);
  CHECK(load_one(wide / "w.png", 4, 3) == want);

  TempDir tall;
  write_png(tall / "t.png", 2, 4, 1, image(2, 4, 1, [](int, int y, int) { return y == 0 || y == 3 ? 255 : 7; }));
  CHECK(load_one(tall / "t.png", 2, 1) == Bytes{7, 7, 7, 7});
}

TEST_CASE("channels = 1 turns colour into grey, and JPEG files load too") {
  TempDir dir;
  write_png(dir / "red.png", 3, 3, 3, image(3, 3, 3, [](int, int, int ch) { return ch == 0 ? 255 : 0; }));
  CHECK(load_one(dir / "red.png", 3, 1) == Bytes(9, 76));  // stb's luma: (77 r + 150 g + 29 b) >> 8

  TempDir jpg;
  Bytes px = image(16, 16, 3, [](int, int, int ch) { return 128 >> ch; });
  REQUIRE(stbi_write_jpg((jpg / "c.jpg").string().c_str(), 16, 16, 3, px.data(), 100) != 0);
  Bytes out = load_one(jpg / "c.jpg", 8, 3);
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(std::abs(out[i] - (128 >> (i / 64))) <= 3);
}

TEST_CASE("a folder is searched recursively, sorted, and unreadable files are skipped with a reason") {
  TempDir dir;
  Bytes grey = image(4, 4, 3, [](int, int, int) { return 50; });
  write_png(dir / "b" / "sub" / "c.PNG", 4, 4, 3, grey);
  write_png(dir / "d.JPEG", 4, 4, 3, grey);  // a PNG named .JPEG: stb reads content, not names
  write_png(dir / "a.jpg", 4, 4, 3, image(4, 4, 3, [](int, int, int) { return 9; }));
  duel::test::write_u8(dir / "notes.txt", Bytes{1, 2, 3});
  duel::test::write_u8(dir / "z.png", Bytes{'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'});
  duel::test::write_u8(dir / "empty.png", Bytes{});
  Bytes png = duel::test::read_u8(dir / "d.JPEG");
  duel::test::write_u8(dir / "y.png", Bytes(png.begin(), png.begin() + 40));
  Bytes huge = png;  // IHDR says 10000 x 8000 (stb does not check the chunk CRC)
  huge[18] = 0x27, huge[19] = 0x10, huge[22] = 0x1f, huge[23] = 0x40;
  duel::test::write_u8(dir / "huge.png", huge);

  auto folder = load_image_folder(dir.path(), 2, 3);
  REQUIRE(folder.size() == 3);
  CHECK(folder.files == std::vector<fs::path>{dir / "a.jpg", dir / "b" / "sub" / "c.PNG", dir / "d.JPEG"});
  CHECK(folder.images(0, 2, 1, 1) == 9);
  CHECK(folder.images(2, 0, 0, 0) == 50);
  REQUIRE(folder.skipped.size() == 4);
  CHECK(folder.skipped[0].path == dir / "empty.png");
  CHECK(folder.skipped[1].path == dir / "huge.png");
  CHECK(folder.skipped[1].reason == "image is 10000x8000, over the limit of 67108864 pixels");
  CHECK(folder.skipped[2].path == dir / "y.png");
  CHECK(folder.skipped[3].path == dir / "z.png");
  for (const auto& s : folder.skipped) CHECK(!s.reason.empty());
  CHECK(folder.skipped[3].reason.starts_with("not a PNG or JPEG stb_image can read ("));
}

TEST_CASE("an empty, missing or unreadable folder is an error, as are bad sizes") {
  TempDir dir;
  const std::string where = dir.path().string();
  CHECK(error_of([&] { load_image_folder(dir.path(), 8); }) ==
        "load_image_folder: no .png, .jpg or .jpeg files under '" + where + "'");
  duel::test::write_u8(dir / "bad.jpg", Bytes{0xff, 0xd8, 0xff});
  CHECK(error_of([&] { load_image_folder(dir.path(), 8); })
            .starts_with("load_image_folder: none of the 1 image files under '" + where +
                         "' could be read; the first, " + (dir / "bad.jpg").string() + ": "));
  CHECK(error_of([&] { load_image_folder(dir / "nowhere", 8); }) ==
        "load_image_folder: '" + (dir / "nowhere").string() + "' is not a folder");
  CHECK(error_of([&] { load_image_folder(dir.path(), 0); }) == "load_image_folder: size 0 is outside 1..4096");
  CHECK(error_of([&] { load_image_folder(dir.path(), 8, 2); }) == "load_image_folder: channels must be 1 or 3, got 2");
}
