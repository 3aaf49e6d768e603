// mlp_gan_mnist: the original GAN (Goodfellow et al. 2014) with fully connected networks, on digits.
//
// The same duel as dcgan_mnist with the simplest possible players: the generator is three Linear
// layers from 100 numbers to 784 pixels, the discriminator three Linear layers from 784 pixels to
// one score. It learns digits too, noisier and in less even numbers; compare the two sample grids.
// Its steps are cheap, so the default run is long: 200 epochs, 25,000 steps, under two minutes on
// two cores (after 30 epochs it still draws mostly 8s through static).
//
//   ./build/examples/mlp_gan_mnist
#include <duel/duel.hpp>

int main(int argc, char** argv) {
  using namespace duel;
  gan::RunOptions run{.out = "out/mlp_gan_mnist", .epochs = 200, .sample_every = 1000};
  std::filesystem::path data_dir = DUEL_DATA_DIR;
  io::ArgParser args("mlp_gan_mnist", "Trains a fully connected GAN on MNIST digits.");
  args.option("--data", data_dir, "DIR", "folder with MNIST or Fashion-MNIST IDX files");
  run.add_flags(args);

  return io::run_main(args, argc, argv, [&] {
    run.apply();
    const data::Dataset digits = data::load_mnist(data_dir, data::Split::train);
    const data::DataLoader loader(digits, {.batch_size = run.batch_size, .seed = run.seed});

    gan::GanModels models = gan::mlp_gan();
    std::cout << *models.generator << "\n\n" << *models.discriminator << "\n\n";
    optim::Adam g_optimizer(models.generator->parameters(), run.lr, {.beta1 = 0.5});
    optim::Adam d_optimizer(models.discriminator->parameters(), run.lr, {.beta1 = 0.5});

    gan::AdversarialTrainer trainer(*models.generator, *models.discriminator, g_optimizer, d_optimizer, run.trainer_options());
    gan::run_training(trainer, loader, models.config, run);
    return 0;
  });
}
