// evaluate: how good are a generator's digits? Scores from Duel's own MNIST classifier.
//
//   ./build/examples/evaluate --checkpoint out/dcgan_mnist/checkpoint.safetensors
//   ./build/examples/evaluate --checkpoint ... --n 5000 --seed 3
//
// Draws --n images and prints the QualityReport (duel/metrics/scores.hpp) as a table and then as
// one line of JSON, for scripts: FID against the 2,000 bundled test digits, Inception Score, which
// digits were drawn how often, and how confidently they read.
#include <duel/duel.hpp>
#include <iostream>

int main(int argc, char** argv) {
  using namespace duel;
  std::filesystem::path checkpoint, classifier = DUEL_DATA_DIR "/mnist_classifier.safetensors", data_dir = DUEL_DATA_DIR;
  std::int64_t n = 2000;
  std::uint64_t seed = 0;
  io::ArgParser args("evaluate", "Scores the digits a generator draws: FID, Inception Score, class coverage.");
  args.option("--checkpoint", checkpoint, "FILE", "a checkpoint.safetensors written by a training example (required)");
  args.option("--n", n, "N", "how many images to draw and score", 2);
  args.option("--seed", seed, "N", "seed of the latent noise");
  args.option("--classifier", classifier, "FILE", "the judge, written by the classifier example");
  args.option("--data", data_dir, "DIR", "folder with the MNIST test digits to compare with");

  return io::run_main(args, argc, argv, [&] {
    if (checkpoint.empty()) throw io::UsageError("--checkpoint FILE is required");
    const std::map<std::string, std::string> config = gan::checkpoint_config(checkpoint);
    gan::GanModels models = gan::make_models(config);
    gan::Generator& G = *models.generator;
    if (!(G.image_shape() == Shape{1, 28, 28})) {
      throw ValueError(duel::detail::cat("the judge reads 28x28 grey digits [1,28,28], but '", checkpoint.string(),
                                         "' holds a ", config.at("model"), " generator of ", G.image_shape(), " images"));
    }
    // The classes asked for, one per image (0,1,..,9,0,1,..); empty for an unconditional
    // generator. The judge then also reports how often it read the digit that was asked for.
    Tensor<std::int64_t> requested;
    if (G.num_classes() > 0) {
      requested = Tensor<std::int64_t>::empty({n});
      for (index_t i = 0; i < n; ++i) requested.data()[i] = i % G.num_classes();
    }
    gan::load_generator(checkpoint, G);
    G.eval();  // running batch-norm statistics: each image independent of the others
    const metrics::Judge judge = metrics::Judge::load(classifier, data_dir);

    Generator rng(seed);
    const Tensor<float> images = G.sample(n, rng, requested);
    const metrics::QualityReport report = judge.evaluate(images, requested);
    std::cout << checkpoint.string() << '\n' << report.table() << report.to_json() << '\n';
    return 0;
  });
}
