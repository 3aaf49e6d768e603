#include "duel/gan/run.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "gan/gan_test.hpp"
#include "io/io_test.hpp"
#include "test_util.hpp"

using duel::gan::RunOptions;
using duel::io::UsageError;
using duel::test::GanSetup;
using duel::test::TempDir;
using duel::test::read_lines;
namespace gan = duel::gan;

namespace {

// Parses a command line (without the program name) into run.
void parse(RunOptions& run, std::vector<const char*> args) {
  duel::io::ArgParser parser("train", "Trains a GAN.");
  run.add_flags(parser);
  args.insert(args.begin(), "train");
  const bool go_on = parser.parse(static_cast<int>(args.size()), args.data());  // false after --help
  REQUIRE(go_on);
}

// The step column of train.csv.
std::vector<long long> logged_steps(const std::filesystem::path& csv) {
  std::vector<long long> steps;
  const std::vector<std::string> lines = read_lines(csv);
  for (std::size_t i = 1; i < lines.size(); ++i) steps.push_back(std::stoll(lines[i]));
  return steps;
}

}  // namespace

TEST_CASE("RunOptions::add_flags: no flags keep the defaults") {
  RunOptions run{.out = "out/x", .epochs = 40, .sample_every = 250};
  parse(run, {});
  CHECK(run.out == "out/x");
  CHECK(run.epochs == 40);
  CHECK(run.max_steps == 0);
  CHECK(run.batch_size == 64);
  CHECK(run.lr == 2e-4);
  CHECK(run.seed == 0);
  CHECK(run.threads == 0);
  CHECK(run.sample_every == 250);
  CHECK(run.resume.empty());
  CHECK(run.ema == 0);
  CHECK(run.label_smoothing == 0);
}

TEST_CASE("RunOptions::add_flags: every flag sets its option") {
  RunOptions run;
  parse(run, {"--out", "runs/a", "--epochs", "3", "--max-steps=100", "--batch-size", "16", "--lr", "1e-3", "--seed", "42",
              "--threads", "2", "--sample-every", "10", "--resume", "runs/a/checkpoint.safetensors", "--ema", "0.99", "--label-smoothing", "0.1"});
  CHECK(run.out == "runs/a");
  CHECK(run.epochs == 3);
  CHECK(run.max_steps == 100);
  CHECK(run.batch_size == 16);
  CHECK(run.lr == 1e-3);
  CHECK(run.seed == 42);
  CHECK(run.threads == 2);
  CHECK(run.sample_every == 10);
  CHECK(run.resume == "runs/a/checkpoint.safetensors");
  CHECK(run.ema == 0.99);
  CHECK(run.label_smoothing == 0.1);
  const gan::TrainerOptions options = run.trainer_options();
  CHECK(options.ema_decay == 0.99);
  CHECK(options.label_smoothing == 0.1);
  CHECK(options.seed == 42);
}

TEST_CASE("RunOptions::add_flags: values out of range or not numbers are usage errors") {
  const std::vector<std::pair<std::vector<const char*>, std::string>> bad{
      {{"--epochs", "0"}, "--epochs must be at least 1"},
      {{"--lr", "abc"}, "--lr expects a number, got 'abc'"},
      {{"--lr", "-0.1"}, "--lr must be at least 0"},
      {{"--batch-size", "1"}, "--batch-size must be at least 2"},
      {{"--max-steps", "-5"}, "--max-steps must be at least 0"},
      {{"--seed", "1.5"}, "--seed expects a whole number"},
      {{"--sample-every", "0"}, "--sample-every must be at least 1"},
      {{"--threads", "-1"}, "--threads must be at least 0"},
      {{"--ema", "-0.5"}, "--ema must be at least 0"},
      {{"--label-smoothing", "-1"}, "--label-smoothing must be at least 0"},
      {{"--epochs"}, "--epochs needs a value"},
      {{"--epoch", "3"}, "unknown option '--epoch'"}};
  for (const auto& bad_case : bad) {  // not a structured binding: clang 14 cannot capture one
    CAPTURE(bad_case.second);
    RunOptions run;
    duel::test::check_error<UsageError>([&] { parse(run, bad_case.first); }, {bad_case.second});
  }
}

TEST_CASE("RunOptions::apply: sets the thread count and seeds the default generator") {
  const duel::test::ThreadCountGuard restore_threads;
  RunOptions{.seed = 17, .threads = 1}.apply();
  CHECK(duel::get_num_threads() == 1);
  CHECK(duel::default_generator().state() == duel::Generator::State{17, 0});
  duel::test::check_error<UsageError>([] { RunOptions{.ema = 1}.apply(); }, {"--ema must be below 1, got 1"});
  duel::test::check_error<UsageError>([] { RunOptions{.label_smoothing = 1.5}.apply(); }, {"--label-smoothing must be below 1, got 1.5"});
}

TEST_CASE("run_training: trains, writes everything into run.out, resumes, and refuses a finished run") {
  const TempDir dir;
  const duel::data::DataLoader loader(duel::test::random_digits(32, 1), {.batch_size = 8});  // 4 steps an epoch
  RunOptions run{.out = dir.path(), .epochs = 1, .seed = 3, .sample_every = 2};
  {
    duel::manual_seed(1);
    GanSetup setup(gan::mlp_gan(8));
    gan::run_training(setup.trainer, loader, setup.models.config, run);
    CHECK(setup.trainer.steps_done() == 4);
  }
  CHECK(dir.listing() == "checkpoint.safetensors losses.svg samples samples.png scores.svg train.csv");
  CHECK(std::filesystem::exists(dir / "samples" / "step_000002.png"));
  CHECK(logged_steps(dir / "train.csv") == std::vector<long long>{1, 2, 3, 4});
  const duel::StateDict checkpoint = duel::io::load_safetensors(dir / "checkpoint.safetensors");
  CHECK(checkpoint.metadata.at("config.model") == "mlp_gan");
  CHECK(checkpoint.at("fixed_noise").shape() == duel::Shape{64, 8});  // an 8x8 grid, from a stream seeded seed + 1

  // Resuming with a second epoch continues at step 5 with the same fixed noise.
  run.resume = dir / "checkpoint.safetensors";
  run.epochs = 2;
  duel::manual_seed(1);
  GanSetup resumed(gan::mlp_gan(8));
  gan::run_training(resumed.trainer, loader, resumed.models.config, run);
  CHECK(resumed.trainer.steps_done() == 8);
  CHECK(logged_steps(dir / "train.csv") == std::vector<long long>{1, 2, 3, 4, 5, 6, 7, 8});
  const duel::StateDict after = duel::io::load_safetensors(dir / "checkpoint.safetensors");
  CHECK(duel::allclose(after.at("fixed_noise"), checkpoint.at("fixed_noise"), 0, 0));

  // Nothing is left to do at step 8 of 8.
  GanSetup done(gan::mlp_gan(8));
  duel::test::check_error<duel::ValueError>([&] { gan::run_training(done.trainer, loader, done.models.config, run); },
                                            {"nothing to do", "step 8"});
}
