// generate: draws new images from a trained generator.
//
//   ./build/examples/generate --checkpoint out/dcgan_mnist/checkpoint.safetensors --n 64 --png digits.png
//   ./build/examples/generate --checkpoint ... --n 1000 --idx digits.idx      # uint8 28x28, MNIST's format
//   ./build/examples/generate --checkpoint ... --interpolate walk.png         # smooth walks through the latent space
//
// The checkpoint says which network it holds, so no other setting is needed.
#include <duel/duel.hpp>
#include <iostream>

namespace {

// Images in [-1, 1] as bytes: round((x + 1) * 127.5), the inverse of the data loader's scaling.
duel::Tensor<std::uint8_t> to_bytes(const duel::Tensor<float>& images) {
  duel::Tensor<std::uint8_t> out = duel::Tensor<std::uint8_t>::empty(images.shape());
  for (duel::index_t i = 0; i < images.numel(); ++i) {
    const float v = std::clamp((images.data()[i] + 1.0f) * 127.5f, 0.0f, 255.0f);
    out.data()[i] = static_cast<std::uint8_t>(std::lround(v));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace duel;
  std::filesystem::path checkpoint, png, idx, interpolate;
  std::int64_t n = 64, steps = 10;
  std::uint64_t seed = 0;
  io::ArgParser args("generate", "Samples images from a generator saved in a Duel checkpoint.");
  args.option("--checkpoint", checkpoint, "FILE", "a checkpoint.safetensors written by a training example (required)");
  args.option("--n", n, "N", "how many images", 1);
  args.option("--png", png, "FILE", "write the images as one PNG grid");
  args.option("--idx", idx, "FILE", "write the images as uint8 IDX (MNIST's format; .gz compresses)");
  args.option("--interpolate", interpolate, "FILE", "write 8 latent walks of --steps images each as a PNG");
  args.option("--steps", steps, "N", "images per latent walk", 2);
  args.option("--seed", seed, "N", "seed of the latent noise");

  return io::run_main(args, argc, argv, [&] {
    if (checkpoint.empty()) throw io::UsageError("--checkpoint FILE is required");
    if (png.empty() && idx.empty() && interpolate.empty()) throw io::UsageError("nothing to write: give --png, --idx or --interpolate");

    // Rebuild the generator the checkpoint describes, load its weights, and use its running
    // batch-norm statistics (eval mode), so that each image does not depend on the others.
    gan::GanModels models = gan::make_models(gan::checkpoint_config(io::load_safetensors(checkpoint)));
    gan::Generator& G = *models.generator;
    gan::load_generator(checkpoint, G);
    G.eval();
    Generator rng(seed);

    const Tensor<float> images = G.sample(n, rng);
    const auto rows = static_cast<index_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    if (!png.empty()) io::save_image_grid(png, images, {.nrow = rows});
    if (!idx.empty()) {
      const Shape s = images.shape();
      if (s[1] != 1) throw ValueError(duel::detail::cat("--idx writes grey images, but this generator makes ", s[1], " channels"));
      data::write_idx(idx, to_bytes(images).reshape({s[0], s[2], s[3]}));
    }
    if (!interpolate.empty()) {
      // Each row walks in a straight line from one latent vector to another.
      const Tensor<float> ends = G.sample_latent(16, rng);
      const index_t latent = ends.numel() / 16;
      Shape s = ends.shape();
      s[0] = 8 * steps;
      Tensor<float> z = Tensor<float>::empty(s);
      for (index_t row = 0; row < 8; ++row) {
        for (index_t k = 0; k < steps; ++k) {
          const float t = static_cast<float>(k) / static_cast<float>(steps - 1);
          for (index_t j = 0; j < latent; ++j) {
            z.data()[(row * steps + k) * latent + j] =
                (1 - t) * ends.data()[(2 * row) * latent + j] + t * ends.data()[(2 * row + 1) * latent + j];
          }
        }
      }
      NoGradGuard no_grad;
      io::save_image_grid(interpolate, G(Var<float>(z)).value(), {.nrow = steps});
    }
    std::cerr << "wrote " << n << " samples from " << checkpoint.string() << '\n';
    return 0;
  });
}
