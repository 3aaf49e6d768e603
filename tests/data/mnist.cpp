#include "duel/data/mnist.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

#include "data/helpers.hpp"

using duel::Shape;
using duel::Tensor;
using duel::data::load_mnist;
using duel::data::Split;
using duel::test::error_of;
using duel::test::TempDir;

namespace {

const std::filesystem::path bundled = DUEL_DATA_DIR;

std::array<int, 10> class_counts(const duel::data::Dataset& d) {
  std::array<int, 10> counts{};
  for (std::int64_t label : d.labels) ++counts[static_cast<std::size_t>(label)];
  return counts;
}

void copy_as(const std::string& from, const std::filesystem::path& to) {
  std::filesystem::copy_file(bundled / from, to, std::filesystem::copy_options::overwrite_existing);
}

}  // namespace

TEST_CASE("the bundled MNIST subset loads with the class counts of data/README.md") {
  auto train = load_mnist(bundled, Split::train);
  CHECK(train.images.shape() == Shape{8000, 1, 28, 28});
  CHECK(train.labels.shape() == Shape{8000});
  CHECK(class_counts(train) == std::array<int, 10>{805, 896, 797, 811, 789, 695, 805, 859, 767, 776});
  // Real digits: white ink on a black background, about 13% of full brightness on average.
  double mean = 0;
  for (std::uint8_t v : train.images) mean += v;
  mean /= static_cast<double>(train.images.numel());
  CHECK(mean > 25);
  CHECK(mean < 40);
  CHECK(*std::max_element(train.images.begin(), train.images.end()) == 255);
  CHECK(train.images(0, 0, 0, 0) == 0);
  CHECK(std::vector<std::int64_t>(train.labels.begin(), train.labels.begin() + 8) ==
        std::vector<std::int64_t>{9, 0, 2, 5, 2, 8, 5, 6});  // checked by eye against the images

  auto test = load_mnist(bundled, Split::test);
  CHECK(test.images.shape() == Shape{2000, 1, 28, 28});
  CHECK(class_counts(test) == std::array<int, 10>{196, 231, 194, 221, 191, 168, 209, 211, 177, 202});
}

TEST_CASE("load_mnist finds the official file names, compressed or not") {
  TempDir dir;
  copy_as("mnist10k-test-images.idx.gz", dir / "t10k-images-idx3-ubyte.gz");
  duel::data::write_idx(dir / "t10k-labels-idx1-ubyte",
                        duel::data::read_idx_u8(bundled / "mnist10k-test-labels.idx.gz"));
  auto official = load_mnist(dir.path(), Split::test);
  auto original = load_mnist(bundled, Split::test);
  CHECK(official.images.shape() == original.images.shape());
  CHECK(std::equal(official.images.begin(), official.images.end(), original.images.begin()));
  CHECK(std::equal(official.labels.begin(), official.labels.end(), original.labels.begin()));
}

TEST_CASE("load_mnist lists the names it looked for") {
  TempDir dir;
  const std::string where = dir.path().string();
  CHECK(error_of([&] { load_mnist(dir.path(), Split::train); }) ==
        "load_mnist: no train images in '" + where +
            "': looked for mnist10k-train-images.idx.gz, train-images-idx3-ubyte.gz, train-images-idx3-ubyte");
  copy_as("mnist10k-test-images.idx.gz", dir / "t10k-images-idx3-ubyte");
  CHECK(error_of([&] { load_mnist(dir.path(), Split::test); }) ==
        "load_mnist: no test labels in '" + where +
            "': looked for mnist10k-test-labels.idx.gz, t10k-labels-idx1-ubyte.gz, t10k-labels-idx1-ubyte");
  CHECK(error_of([&] { load_mnist(dir / "nowhere", Split::test); }) ==
        "load_mnist: no test images in '" + (dir / "nowhere").string() +
            "' (no such folder): looked for mnist10k-test-images.idx.gz, t10k-images-idx3-ubyte.gz, "
            "t10k-images-idx3-ubyte");
}

TEST_CASE("load_mnist checks that images and labels agree") {
  TempDir dir;
  const std::string images = (dir / "train-images-idx3-ubyte").string();
  const std::string labels = (dir / "train-labels-idx1-ubyte").string();
  copy_as("mnist10k-train-images.idx.gz", images);
  copy_as("mnist10k-test-labels.idx.gz", labels);
  CHECK(error_of([&] { load_mnist(dir.path(), Split::train); }) ==
        "load_mnist: " + images + " holds 8000 images but " + labels + " holds 2000 labels");

  Tensor<std::uint8_t> bad_labels({8000});
  bad_labels.data()[3] = 10;
  duel::data::write_idx(labels, bad_labels);
  CHECK(error_of([&] { load_mnist(dir.path(), Split::train); }) == labels + ": label 10 of image 3 is outside 0..9");

  duel::data::write_idx(labels, Tensor<std::uint8_t>({8000, 1}));
  CHECK(error_of([&] { load_mnist(dir.path(), Split::train); }) == labels + ": MNIST labels are [N], found [8000,1]");

  duel::data::write_idx(images, Tensor<std::uint8_t>({8000, 784}));
  CHECK(error_of([&] { load_mnist(dir.path(), Split::train); }) ==
        images + ": MNIST images are [N,H,W], found [8000,784]");
}
