// cgan_mnist: a conditional GAN draws the digit you ask for.
//
// Both players are told the class of every image: the generator gets a learned vector for the
// label beside its noise, and the projection discriminator checks that an image looks real *and*
// looks like its label. Sample grids have one row per digit, 0 to 9, and at the end walks.png
// shows, per digit, a smooth walk through the latent space: the class stays, the style changes.
//
//   ./build/examples/cgan_mnist
//   ./build/examples/generate --checkpoint out/cgan_mnist/checkpoint.safetensors --label 7 --png sevens.png
#include <duel/duel.hpp>

int main(int argc, char** argv) {
  using namespace duel;
  gan::RunOptions run{.out = "out/cgan_mnist", .epochs = 30, .sample_every = 250};
  std::filesystem::path data_dir = DUEL_DATA_DIR;
  io::ArgParser args("cgan_mnist", "Trains a class-conditional DCGAN on MNIST digits.");
  args.option("--data", data_dir, "DIR", "folder with MNIST or Fashion-MNIST IDX files");
  run.add_flags(args);

  return io::run_main(args, argc, argv, [&] {
    run.apply();
    const data::Dataset digits = data::load_mnist(data_dir, data::Split::train);  // with labels 0..9
    const data::DataLoader loader(digits, {.batch_size = run.batch_size, .seed = run.seed});

    gan::GanModels models = gan::cgan_mnist();
    std::cout << *models.generator << "\n\n" << *models.discriminator << "\n\n";
    optim::Adam g_optimizer(models.generator->parameters(), run.lr, {.beta1 = 0.5});
    optim::Adam d_optimizer(models.discriminator->parameters(), run.lr, {.beta1 = 0.5});

    // The trainer sees that the players are conditional and hands them each batch's labels.
    gan::AdversarialTrainer trainer(*models.generator, *models.discriminator, g_optimizer, d_optimizer, run.trainer_options());
    gan::run_training(trainer, loader, models.config, run);

    // One latent walk per digit: row r keeps class r while the noise moves.
    models.generator->eval();
    Generator rng(run.seed + 2);
    io::save_image_grid(run.out / "walks.png", gan::latent_walks(*models.generator, 10, 10, rng, arange<std::int64_t>(10)), {.nrow = 10});
    return 0;
  });
}
