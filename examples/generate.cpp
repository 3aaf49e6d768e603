// generate: draws new images from a trained generator.
//
//   ./build/examples/generate --checkpoint out/dcgan_mnist/checkpoint.safetensors --n 64 --png digits.png
//   ./build/examples/generate --checkpoint ... --n 1000 --idx digits.idx      # uint8 28x28, MNIST's format
//   ./build/examples/generate --checkpoint ... --interpolate walk.png         # walks through the latent space
//   ./build/examples/generate --checkpoint out/cgan_mnist/checkpoint.safetensors --label 7 --png sevens.png
//   ./build/examples/generate --checkpoint out/cgan_mnist/... --n 1000 --idx x.idx --labels y.idx
//
// The checkpoint says which network it holds, so no other setting is needed.
#include <duel/duel.hpp>
#include <iostream>

int main(int argc, char** argv) {
  using namespace duel;
  std::filesystem::path checkpoint, png, idx, labels_idx, interpolate;
  std::int64_t n = 64, steps = 10, label = -1;
  std::uint64_t seed = 0;
  io::ArgParser args("generate", "Samples images from a generator saved in a Duel checkpoint.");
  args.option("--checkpoint", checkpoint, "FILE", "a checkpoint.safetensors written by a training example (required)");
  args.option("--n", n, "N", "how many images", 1);
  args.option("--png", png, "FILE", "write the images as one PNG grid");
  args.option("--idx", idx, "FILE", "write the images as uint8 IDX (MNIST's format; .gz compresses)");
  args.option("--label", label, "K", "conditional models: draw only class K (default: classes in turn)");
  args.option("--labels", labels_idx, "FILE", "conditional models: write the requested classes as uint8 IDX");
  args.option("--interpolate", interpolate, "FILE", "write 8 latent walks (one per class if conditional) as a PNG");
  args.option("--steps", steps, "N", "images per latent walk", 2);
  args.option("--seed", seed, "N", "seed of the latent noise");

  return io::run_main(args, argc, argv, [&] {
    if (checkpoint.empty()) throw io::UsageError("--checkpoint FILE is required");
    if (png.empty() && idx.empty() && interpolate.empty()) throw io::UsageError("nothing to write: give --png, --idx or --interpolate");

    // Rebuild the generator the checkpoint describes, load its weights, and use its running
    // batch-norm statistics (eval mode), so that each image does not depend on the others.
    gan::GanModels models = gan::make_models(gan::checkpoint_config(checkpoint));
    gan::Generator& G = *models.generator;
    gan::load_generator(checkpoint, G);
    G.eval();
    Generator rng(seed);

    // A conditional generator is told which class to draw: --label K, or 0, 1, 2, ... in turn.
    const index_t classes = G.num_classes();
    if (classes == 0 && (label >= 0 || !labels_idx.empty())) throw io::UsageError("--label/--labels need a conditional model");
    if (classes > 0 && label >= classes) throw io::UsageError(duel::detail::cat("--label must be below ", classes, ", got ", label));
    Tensor<std::int64_t> labels;
    if (classes > 0) {
      labels = Tensor<std::int64_t>::empty({n});
      for (index_t i = 0; i < n; ++i) labels.data()[i] = label >= 0 ? label : i % classes;
    }

    const Tensor<float> images = G.sample(n, rng, labels);
    const auto columns = static_cast<index_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    if (!png.empty()) io::save_image_grid(png, images, {.nrow = classes > 0 && label < 0 ? classes : columns});
    if (!idx.empty()) {
      const Shape s = images.shape();
      if (s[1] != 1) throw ValueError(duel::detail::cat("--idx writes grey images, but this generator makes ", s[1], " channels"));
      data::write_idx(idx, io::to_bytes(images).reshape({s[0], s[2], s[3]}));
    }
    if (!labels_idx.empty()) data::write_idx(labels_idx, labels.to<std::uint8_t>());
    if (!interpolate.empty()) {
      const index_t rows = classes > 0 ? classes : 8;
      Tensor<std::int64_t> walk_labels = classes > 0 ? arange<std::int64_t>(classes) : Tensor<std::int64_t>();
      if (classes > 0 && label >= 0) walk_labels.fill_(label);
      io::save_image_grid(interpolate, gan::latent_walks(G, rows, steps, rng, walk_labels), {.nrow = steps});
    }
    std::cerr << "wrote " << n << " samples from " << checkpoint.string() << '\n';
    return 0;
  });
}
