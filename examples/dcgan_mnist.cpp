// dcgan_mnist: a DCGAN learns to write digits. The main demo (./scripts/demo runs it).
//
// The generator turns 100 random numbers into a 28x28 image through two transposed convolutions;
// the discriminator judges real digits against the generator's through two convolutions, two
// images at a time (a PacGAN critic: a pair of fakes that repeat the same few digits looks unlike
// a pair of real ones, so the generator is pushed to draw all ten). Every
// few hundred steps the generator draws the same 64 noise vectors into out/dcgan_mnist/samples.png:
// grey noise at first, then blobs, then strokes, then digits.
//
//   ./build/examples/dcgan_mnist                  # 3 to 6 minutes on 2 cores
//   ./build/examples/dcgan_mnist --epochs 2       # a quick look
//   ./build/examples/dcgan_mnist --resume out/dcgan_mnist/checkpoint.safetensors --epochs 60
#include <duel/duel.hpp>

int main(int argc, char** argv) {
  using namespace duel;
  gan::RunOptions run{.out = "out/dcgan_mnist", .epochs = 40, .sample_every = 250};
  std::filesystem::path data_dir = DUEL_DATA_DIR;
  index_t pack = 2;  // the critic judges pairs of images: better coverage of the ten digits (docs/quality.md)
  io::ArgParser args("dcgan_mnist", "Trains a DCGAN on MNIST digits and writes what it draws as it learns.");
  args.option("--data", data_dir, "DIR", "folder with MNIST or Fashion-MNIST IDX files");
  args.option("--pack", pack, "N", "the critic judges groups of N images (PacGAN); the batch size must be a multiple", 1);
  run.add_flags(args);

  return io::run_main(args, argc, argv, [&] {
    run.apply();
    if (run.batch_size % pack != 0) {
      throw io::UsageError(duel::detail::cat("--batch-size ", run.batch_size, " is not a multiple of --pack ", pack));
    }

    // The real images: 28x28 grey digits, scaled to [-1, 1] like the generator's tanh output.
    const data::Dataset digits = data::load_mnist(data_dir, data::Split::train);
    const data::DataLoader loader(digits, {.batch_size = run.batch_size, .seed = run.seed});

    // The two players, initialised with the DCGAN rule, each with its own Adam (beta1 = 0.5 as in
    // the DCGAN paper: less momentum keeps the duel from oscillating).
    // A resumed run goes on with the networks its checkpoint was trained with (--pack included).
    gan::GanModels models = run.resume.empty() ? gan::dcgan_mnist(100, pack) : gan::make_models(gan::checkpoint_config(run.resume));
    std::cout << *models.generator << "\n\n" << *models.discriminator << "\n\n";
    optim::Adam g_optimizer(models.generator->parameters(), run.lr, {.beta1 = 0.5});
    optim::Adam d_optimizer(models.discriminator->parameters(), run.lr, {.beta1 = 0.5});

    // The duel: non-saturating BCE losses, one critic step per generator step.
    gan::AdversarialTrainer trainer(*models.generator, *models.discriminator, g_optimizer, d_optimizer, run.trainer_options());
    gan::run_training(trainer, loader, models.config, run);
    return 0;
  });
}
