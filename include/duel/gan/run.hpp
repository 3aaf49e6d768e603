// The plumbing every GAN example shares: the usual flags, resuming, and the training loop with its
// monitor, so that an example only says what is particular to it (data, networks, optimizers).
//
//   gan::RunOptions run{.out = "out/dcgan_mnist"};
//   run.add_flags(args);               // --out --epochs --max-steps --batch-size --lr --seed ...
//   ...
//   run.apply();                       // threads and seed, before building the networks
//   gan::AdversarialTrainer trainer(G, D, opt_g, opt_d, run.trainer_options());
//   gan::run_training(trainer, loader, models.config, run);
#pragma once

#include <iostream>
#include <thread>

#include "duel/gan/monitor.hpp"
#include "duel/io/cli.hpp"

namespace duel::gan {

struct RunOptions {
  std::filesystem::path out = "out";
  std::int64_t epochs = 10;
  std::int64_t max_steps = 0;  // 0: no limit besides the epochs
  std::int64_t batch_size = 64;
  double lr = 2e-4;
  std::uint64_t seed = 0;
  int threads = 0;  // 0: every core
  std::int64_t sample_every = 500;
  std::filesystem::path resume = {};
  double ema = 0;              // decay of the generator's weight average (TrainerOptions::ema_decay)
  double label_smoothing = 0;  // TrainerOptions::label_smoothing

  void add_flags(io::ArgParser& args) {
    args.option("--out", out, "DIR", "folder for samples, plots, log and checkpoint");
    args.option("--epochs", epochs, "N", "passes over the training images", 1);
    args.option("--max-steps", max_steps, "N", "stop after this many steps (0: run all epochs)", 0);
    args.option("--batch-size", batch_size, "N", "images per step", 2);
    args.option("--lr", lr, "X", "learning rate of both Adam optimizers", 0);
    args.option("--seed", seed, "N", "seed of every random choice (same seed and threads: same run)");
    args.option("--threads", threads, "N", "threads to use (0: every core)", 0);
    args.option("--sample-every", sample_every, "N", "write a sample grid, plots and checkpoint every N steps", 1);
    args.option("--resume", resume, "FILE", "continue from a checkpoint.safetensors");
    args.option("--ema", ema, "D", "decay of a running average of G's weights to draw samples from, e.g. 0.999 (0: none)", 0);
    args.option("--label-smoothing", label_smoothing, "S", "the critic's target for real images is 1 - S", 0);
  }

  // The trainer's options these flags set (the loss and its settings stay at their defaults).
  TrainerOptions trainer_options() const { return {.label_smoothing = label_smoothing, .ema_decay = ema, .seed = seed}; }

  // Checks what the flags alone cannot, sets the thread count and seeds the default generator
  // (which initialises the networks).
  void apply() const {
    if (!(ema < 1)) throw io::UsageError(duel::detail::cat("--ema must be below 1, got ", ema));
    if (!(label_smoothing < 1)) throw io::UsageError(duel::detail::cat("--label-smoothing must be below 1, got ", label_smoothing));
    set_num_threads(threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    manual_seed(seed);
  }
};

// Trains until the epochs or max_steps are done, resuming first if asked, and writes everything
// TrainingMonitor describes into run.out.
inline void run_training(AdversarialTrainer& trainer, const data::DataLoader& loader,
                         const std::map<std::string, std::string>& config, const RunOptions& run) {
  duel::Generator noise_rng(run.seed + 1);
  // 8 x 8 samples, or for a conditional generator one row of 10 per class
  const index_t classes = trainer.generator().num_classes(), columns = classes > 0 ? 10 : 8;
  Tensor<float> fixed_noise = trainer.generator().sample_latent(columns * (classes > 0 ? classes : 8), noise_rng);
  if (!run.resume.empty()) fixed_noise = load_checkpoint(run.resume, trainer);
  const std::int64_t per_epoch = loader.batches_per_epoch();
  const std::int64_t total = run.max_steps > 0 ? std::min(run.max_steps, run.epochs * per_epoch) : run.epochs * per_epoch;
  if (trainer.steps_done() >= total) {
    throw ValueError(duel::detail::cat("nothing to do: the checkpoint is at step ", trainer.steps_done(), " and the run ends at step ",
                                 total, " (raise --epochs or --max-steps)"));
  }
  if (!run.resume.empty()) std::cerr << "resumed from " << run.resume.string() << " at step " << trainer.steps_done() << '\n';
  TrainingMonitor monitor(trainer,
                          {.out_dir = run.out, .total_steps = total, .sample_every = run.sample_every, .grid_columns = columns,
                           .batch_size = loader.options().batch_size, .config = config},
                          fixed_noise);
  trainer.fit(loader, run.epochs, total, [&monitor](const StepStats& s) { monitor.on_step(s); });
  monitor.finish();
  std::cerr << "wrote " << (run.out / "samples.png").string() << ", losses.svg, train.csv and checkpoint.safetensors in "
            << run.out.string() << '\n';
}

}  // namespace duel::gan
