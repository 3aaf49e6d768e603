// evaluate: how good are a generator's digits? Scores from Duel's own MNIST classifier.
//
//   ./build/examples/evaluate --checkpoint out/dcgan_mnist/checkpoint.safetensors
//   ./build/examples/evaluate --checkpoint ... --n 5000 --seed 3
//   ./build/examples/evaluate --images digits.idx [--labels asked.idx]   # any program's digits
//
// Draws --n images (or reads them from an IDX file: uint8 [N, 28, 28], as `generate --idx` and
// benchmarks/pytorch/train_twin.py write them) and prints the QualityReport
// (duel/metrics/scores.hpp) as a table and then as one line of JSON, for scripts: FID against the
// 2,000 bundled test digits, Inception Score, which digits were drawn how often, and how
// confidently they read. Scoring real digits gives the scale: evaluate --images
// data/mnist10k-train-images.idx.gz --labels data/mnist10k-train-labels.idx.gz.
#include <duel/duel.hpp>
#include <iostream>

using namespace duel;

// Images [N, 1, 28, 28] in [-1, 1] and the class asked for of each (empty when none was).
struct Digits {
  Tensor<float> images;
  Tensor<std::int64_t> requested;
};

// n digits drawn by the generator in a checkpoint. A conditional generator is asked for the
// classes 0, 1, .., 9, 0, 1, .. in turn, and the judge then also reports how often it read the
// digit that was asked for.
Digits draw_digits(const std::filesystem::path& checkpoint, std::int64_t n, std::uint64_t seed) {
  const std::map<std::string, std::string> config = gan::checkpoint_config(checkpoint);
  gan::GanModels models = gan::make_models(config);
  gan::Generator& G = *models.generator;
  if (!(G.image_shape() == Shape{1, 28, 28})) {
    throw ValueError(duel::detail::cat("the judge reads 28x28 grey digits [1,28,28], but '", checkpoint.string(),
                                       "' holds a ", config.at("model"), " generator of ", G.image_shape(), " images"));
  }
  Tensor<std::int64_t> requested;
  if (G.num_classes() > 0) {
    requested = Tensor<std::int64_t>::empty({n});
    for (index_t i = 0; i < n; ++i) requested.data()[i] = i % G.num_classes();
  }
  gan::load_generator(checkpoint, G);
  G.eval();  // running batch-norm statistics: each image independent of the others
  Generator rng(seed);
  return {G.sample(n, rng, requested), requested};
}

// Digits from IDX files, pixels 0..255 mapped to [-1, 1] by the data loader, as for training.
Digits read_digits(const std::filesystem::path& images_file, const std::filesystem::path& labels_file) {
  const Tensor<std::uint8_t> bytes = data::read_idx_u8(images_file);
  if (bytes.rank() != 3 || bytes.size(1) != 28 || bytes.size(2) != 28 || bytes.size(0) < 2) {
    throw ValueError(duel::detail::cat("'", images_file.string(), "' holds ", bytes.shape(),
                                       ": the judge reads at least 2 digits of 28x28, [N,28,28]"));
  }
  Digits d{metrics::all_images(data::Dataset{bytes.reshape({bytes.size(0), 1, 28, 28}), {}}), {}};
  if (!labels_file.empty()) {
    const Tensor<std::uint8_t> labels = data::read_idx_u8(labels_file);
    if (!(labels.shape() == Shape{bytes.size(0)})) {
      throw ValueError(duel::detail::cat("'", labels_file.string(), "' holds ", labels.shape(), " labels for ", bytes.size(0),
                                         " images: expected [", bytes.size(0), "]"));
    }
    d.requested = labels.to<std::int64_t>();
  }
  return d;
}

int main(int argc, char** argv) {
  std::filesystem::path checkpoint, images_file, labels_file, classifier = DUEL_DATA_DIR "/mnist_classifier.safetensors",
                                    data_dir = DUEL_DATA_DIR;
  std::int64_t n = 2000;
  std::uint64_t seed = 0;
  io::ArgParser args("evaluate", "Scores the digits a generator draws: FID, Inception Score, class coverage.");
  args.option("--checkpoint", checkpoint, "FILE", "a checkpoint.safetensors written by a training example (required)");
  args.option("--images", images_file, "FILE", "score these uint8 [N,28,28] IDX digits instead of a checkpoint's");
  args.option("--labels", labels_file, "FILE", "with --images: the digit each image was asked to be (uint8 IDX [N])");
  args.option("--n", n, "N", "how many images to draw and score", 2);
  args.option("--seed", seed, "N", "seed of the latent noise");
  args.option("--classifier", classifier, "FILE", "the judge, written by the classifier example");
  args.option("--data", data_dir, "DIR", "folder with the MNIST test digits to compare with");

  return io::run_main(args, argc, argv, [&] {
    if (checkpoint.empty() == images_file.empty()) throw io::UsageError("give either --checkpoint FILE or --images FILE");
    if (!labels_file.empty() && images_file.empty()) throw io::UsageError("--labels goes with --images");
    const metrics::Judge judge = metrics::Judge::load(classifier, data_dir);
    const auto [images, requested] = checkpoint.empty() ? read_digits(images_file, labels_file) : draw_digits(checkpoint, n, seed);
    const metrics::QualityReport report = judge.evaluate(images, requested);
    std::cout << (checkpoint.empty() ? images_file : checkpoint).string() << '\n' << report.table() << report.to_json() << '\n';
    return 0;
  });
}
