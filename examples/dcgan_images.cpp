// dcgan_images: DCGAN-64 (Radford et al. 2015) on any folder of pictures: cats, faces, anything.
//
// Every PNG or JPEG under --images is center-cropped, resized to 64x64 and mirrored at random
// while training. The networks are the paper's: five transposed convolutions from a 100-number
// code up to 64x64x3, and five convolutions back down to one score.
//
//   ./build/examples/dcgan_images --images ~/Pictures/cats --epochs 50
//   ./build/examples/dcgan_images --images faces/ --width 32     # half the channels: 4x faster
#include <duel/duel.hpp>
#include <iostream>

int main(int argc, char** argv) {
  using namespace duel;
  gan::RunOptions run{.out = "out/dcgan_images", .epochs = 25, .sample_every = 250};
  std::filesystem::path images_dir;
  std::int64_t width = 64, channels = 3;
  io::ArgParser args("dcgan_images", "Trains DCGAN-64 on a folder of PNG/JPEG images.");
  args.option("--images", images_dir, "DIR", "folder of PNG/JPEG images, searched recursively (required)");
  args.option("--width", width, "N", "channels of the outermost layers (64 in the paper)", 1);
  args.option("--channels", channels, "N", "3 for colour, 1 for grey", 1);
  run.add_flags(args);

  return io::run_main(args, argc, argv, [&] {
    if (images_dir.empty()) throw io::UsageError("--images DIR is required");
    if (channels != 1 && channels != 3) throw io::UsageError(duel::detail::cat("--channels must be 1 or 3, got ", channels));
    run.apply();

    const data::ImageFolder folder = data::load_image_folder(images_dir, 64, static_cast<int>(channels));
    for (const auto& skipped : folder.skipped) std::cerr << "skipped " << skipped.path.string() << ": " << skipped.reason << '\n';
    std::cerr << "training on " << folder.size() << " images from " << images_dir.string() << '\n';
    const data::DataLoader loader(folder, {.batch_size = run.batch_size, .horizontal_flip = true, .seed = run.seed});

    gan::GanModels models = gan::dcgan64({.width = width, .channels = channels});
    std::cout << *models.generator << "\n\n" << *models.discriminator << "\n\n";
    optim::Adam g_optimizer(models.generator->parameters(), run.lr, {.beta1 = 0.5});
    optim::Adam d_optimizer(models.discriminator->parameters(), run.lr, {.beta1 = 0.5});

    gan::AdversarialTrainer trainer(*models.generator, *models.discriminator, g_optimizer, d_optimizer, run.trainer_options());
    gan::run_training(trainer, loader, models.config, run);
    return 0;
  });
}
