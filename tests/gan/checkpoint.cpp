#include "duel/gan/checkpoint.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "duel/data/mnist.hpp"
#include "gan/gan_test.hpp"
#include "io/io_test.hpp"

using duel::StateDict;
using duel::Tensor;
using duel::test::GanSetup;
using duel::test::TempDir;
using duel::test::check_identical;
using duel::test::training_state;
namespace gan = duel::gan;

namespace {

// DCGAN-MNIST with the initial weights and noise stream that init_seed and noise_seed give, keeping
// an average of G's weights.
GanSetup dcgan(std::uint64_t init_seed, std::uint64_t noise_seed) {
  duel::manual_seed(init_seed);
  return GanSetup(gan::dcgan_mnist(), {.ema_decay = 0.99, .seed = noise_seed});
}

// mlp_gan with a latent of 8, the initial weights init_seed gives.
GanSetup mlp(std::uint64_t init_seed) {
  duel::manual_seed(init_seed);
  return GanSetup(gan::mlp_gan(8));
}

// The bundled test digits (2,000), loaded once.
const duel::data::Dataset& digits() {
  static const duel::data::Dataset d = duel::data::load_mnist(DUEL_DATA_DIR, duel::data::Split::test);
  return d;
}

// A small GAN trained for one step, so that its optimizers have state; saved into dir.
std::filesystem::path saved_checkpoint(GanSetup& setup, const TempDir& dir, const duel::Shape& image_shape) {
  setup.trainer.step(duel::test::random_images(image_shape, 1));
  const std::filesystem::path path = dir / "checkpoint.safetensors";
  gan::save_checkpoint(path, setup.trainer, setup.models.config, Tensor<float>());
  return path;
}

// Makes every write past `bytes` into a file fail, as on a full disk, while it lives.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    handler_ = std::signal(SIGXFSZ, SIG_IGN);  // the write then fails with EFBIG instead of ending the process
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &limit) == 0);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, handler_);
  }

 private:
  rlimit saved_{};
  void (*handler_)(int) = nullptr;
};

// The fixture of most tests here: mlp_gan after one step, saved as checkpoint.safetensors in a
// temporary folder.
struct SavedMlpGan {
  TempDir dir;
  GanSetup setup = mlp(1);
  std::filesystem::path path = saved_checkpoint(setup, dir, {4, 1, 28, 28});
};

}  // namespace

TEST_CASE("checkpoint: 3 steps, save, load into fresh networks, 3 more steps is bit for bit 6 steps straight") {
  const TempDir dir;
  const duel::data::DataLoader loader(digits(), {.batch_size = 8, .seed = 2});
  std::vector<gan::StepStats> straight_stats, resumed_stats;

  GanSetup straight = dcgan(7, 3);
  duel::Generator fixed_rng(4);
  const Tensor<float> fixed_noise = straight.models.generator->sample_latent(9, fixed_rng);
  straight.trainer.fit(loader, 1, 6, [&](const gan::StepStats& s) { straight_stats.push_back(s); });
  const StateDict expected = training_state(straight.trainer);

  {
    GanSetup first = dcgan(7, 3);
    first.trainer.fit(loader, 1, 3);
    gan::save_checkpoint(dir / "checkpoint.safetensors", first.trainer, first.models.config, fixed_noise);
  }
  // Other seeds, and the default generator moved on: all of it must come from the checkpoint.
  GanSetup resumed = dcgan(8, 9);
  duel::manual_seed(12345);
  const Tensor<float> loaded_noise = gan::load_checkpoint(dir / "checkpoint.safetensors", resumed.trainer);
  CHECK(resumed.trainer.steps_done() == 3);
  CHECK(duel::allclose(loaded_noise, fixed_noise, 0, 0));
  resumed.trainer.fit(loader, 1, 6, [&](const gan::StepStats& s) { resumed_stats.push_back(s); });

  check_identical(training_state(resumed.trainer), expected);
  CHECK(expected.contains("G_ema.main.0.weight"));
  REQUIRE(resumed_stats.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const gan::StepStats &a = straight_stats[i + 3], &b = resumed_stats[i];
    CHECK(a.step == b.step);
    CHECK(a.epoch == b.epoch);
    CHECK(a.d_loss == b.d_loss);
    CHECK(a.g_loss == b.g_loss);
    CHECK(a.d_real == b.d_real);
    CHECK(a.d_fake == b.d_fake);
  }
}

TEST_CASE_FIXTURE(SavedMlpGan, "checkpoint: the file holds PyTorch-named tensors and the model config") {
  const StateDict state = duel::io::load_safetensors(path);
  CHECK(state.contains("G.main.0.weight"));
  CHECK(state.contains("D.main.4.bias"));
  CHECK(state.contains("opt_G.state.0.exp_avg"));
  CHECK(state.contains("opt_D.state.5.exp_avg_sq"));
  CHECK(!state.contains("fixed_noise"));  // none was given
  CHECK(state.metadata.at("format") == gan::checkpoint_format);
  CHECK(state.metadata.at("trainer.step") == "1");
  CHECK(gan::checkpoint_config(state) == setup.models.config);
  CHECK(gan::checkpoint_config(path) == setup.models.config);
  CHECK(gan::make_models(gan::checkpoint_config(state)).generator->latent_shape() == duel::Shape{8});
}

TEST_CASE("load_checkpoint: another architecture is refused with every mismatching name and shape, changing nothing") {
  const TempDir dir;
  duel::manual_seed(1);
  GanSetup narrow(gan::dcgan64({.latent_dim = 8, .width = 2}));
  const std::filesystem::path path = saved_checkpoint(narrow, dir, {2, 3, 64, 64});
  GanSetup wide(gan::dcgan64({.latent_dim = 8, .width = 4}));
  wide.trainer.step(duel::test::random_images({2, 3, 64, 64}, 2));
  const StateDict before = training_state(wide.trainer);

  const std::string message = duel::test::check_error<duel::ValueError>(
      [&] { gan::load_checkpoint(path, wide.trainer); }, {"does not fit these networks", "wrong shape"});
  // Every entry of either network whose shape differs is listed with both shapes.
  int listed = 0;
  const std::pair<const duel::nn::Module*, const char*> nets[] = {{&wide.trainer.generator(), "G"}, {&wide.trainer.discriminator(), "D"}};
  for (const auto& [net, prefix] : nets) {
    const StateDict theirs = duel::io::load_safetensors(path).sub(prefix);
    for (const auto& [name, value] : net->state_dict()) {
      if (value.shape() == theirs.at(name).shape()) continue;
      const std::string line = duel::detail::cat(name, ": expected ", value.shape(), ", found ", theirs.at(name).shape());
      CHECK_MESSAGE(message.find(line) != std::string::npos, "'", line, "' is not in: ", message);
      ++listed;
    }
  }
  CHECK(listed == 38);  // all but the num_batches_tracked counters
  CHECK(message.find("opt_G: ") != std::string::npos);  // the optimizers' moments do not fit either
  check_identical(training_state(wide.trainer), before);
}

TEST_CASE("load_checkpoint: when only part of a checkpoint fits, the part that loaded is put back") {
  const TempDir dir;
  GanSetup source = dcgan(1, 1);
  const std::filesystem::path path = saved_checkpoint(source, dir, {2, 1, 28, 28});
  // The same generator architecture, so G and opt_G load, with an MLP discriminator, so D does not.
  duel::manual_seed(2);
  GanSetup mixed({gan::dcgan_mnist().generator, gan::mlp_gan().discriminator, {}});
  const StateDict before = training_state(mixed.trainer);
  const std::string message = duel::test::check_error<duel::ValueError>(
      [&] { gan::load_checkpoint(path, mixed.trainer); }, {"D: load_state_dict", "missing", "main.4.weight", "unexpected", "main.6.weight", "wrong shape", "main.0.weight"});
  CHECK(message.find("\nG: ") == std::string::npos);
  check_identical(training_state(mixed.trainer), before);
}

TEST_CASE_FIXTURE(SavedMlpGan, "load_checkpoint: a truncated, corrupt or foreign file is an IoError and changes nothing") {
  const std::string bytes = duel::test::read_bytes(path);
  GanSetup fresh = mlp(2);
  const StateDict before = training_state(fresh.trainer);
  auto refused = [&](const std::string& name, const std::string& contents, std::initializer_list<std::string_view> parts) {
    CAPTURE(name);
    duel::test::write_bytes(dir / name, contents);
    duel::test::check_error<duel::IoError>([&] { gan::load_checkpoint(dir / name, fresh.trainer); }, parts);
    duel::test::check_error<duel::IoError>([&] { gan::load_generator(dir / name, *fresh.models.generator); }, parts);
    duel::test::check_error<duel::IoError>([&] { gan::checkpoint_config(dir / name); }, parts);
    check_identical(training_state(fresh.trainer), before);
  };
  refused("data_cut.safetensors", bytes.substr(0, bytes.size() / 2), {"data_cut.safetensors"});
  refused("header_cut.safetensors", bytes.substr(0, 100), {"header length"});
  refused("empty.safetensors", "", {"fewer than the 8"});
  refused("garbage.safetensors", std::string(bytes.size(), 'x'), {"garbage.safetensors"});

  StateDict weights;  // a valid safetensors file, but not a checkpoint
  weights.insert("main.0.weight", duel::zeros<float>({2, 2}));
  duel::io::save_safetensors(dir / "weights.safetensors", weights);
  refused("weights.safetensors", duel::test::read_bytes(dir / "weights.safetensors"), {"is not a Duel GAN checkpoint"});
}

TEST_CASE_FIXTURE(SavedMlpGan, "load_checkpoint: damaged counters in the metadata are an IoError and change nothing") {
  const StateDict good = duel::io::load_safetensors(path);
  GanSetup fresh = mlp(2);
  const StateDict before = training_state(fresh.trainer);
  for (const char* key : {"trainer.step", "trainer.noise_offset", "default_rng.seed", "default_rng.offset"}) {
    CAPTURE(key);
    for (const char* value : {"", "many"}) {  // "": the key is missing
      StateDict damaged = good;
      damaged.metadata.erase(key);
      if (*value) damaged.metadata[key] = value;
      duel::io::save_safetensors(dir / "damaged.safetensors", damaged);
      duel::test::check_error<duel::IoError>([&] { gan::load_checkpoint(dir / "damaged.safetensors", fresh.trainer); },
                                             {"damaged.safetensors", "missing or not a number"});
      check_identical(training_state(fresh.trainer), before);
    }
  }
}

TEST_CASE_FIXTURE(SavedMlpGan, "save_checkpoint: a failed save is an IoError and leaves the previous checkpoint intact") {
  const std::string previous = duel::test::read_bytes(path);
  setup.trainer.step(duel::test::random_images({4, 1, 28, 28}, 2));

  // The output folder is a file.
  duel::test::write_bytes(dir / "out", "not a folder");
  duel::test::check_error<duel::IoError>(
      [&] { gan::save_checkpoint(dir / "out" / "checkpoint.safetensors", setup.trainer, setup.models.config, Tensor<float>()); },
      {"is not a folder"});

  // The disk fills up halfway through the new file.
  {
    const FileSizeLimit full_disk(previous.size() / 2);
    duel::test::check_error<duel::IoError>([&] { gan::save_checkpoint(path, setup.trainer, setup.models.config, Tensor<float>()); },
                                           {"cannot write"});
  }
  CHECK(duel::test::read_bytes(path) == previous);
  CHECK(dir.listing() == "checkpoint.safetensors out");  // no temporary file left behind
  gan::save_checkpoint(path, setup.trainer, setup.models.config, Tensor<float>());  // and with room again it works
  CHECK(duel::io::load_safetensors(path).metadata.at("trainer.step") == "2");
}

TEST_CASE_FIXTURE(SavedMlpGan, "load_generator: only the generator's weights, for sampling from a finished run") {
  duel::manual_seed(2);
  gan::GanModels fresh = gan::mlp_gan(8);
  gan::load_generator(path, *fresh.generator);
  check_identical(fresh.generator->state_dict(), setup.models.generator->state_dict());
  gan::GanModels other = gan::mlp_gan(16);  // another latent size
  const StateDict before = other.generator->state_dict();
  CHECK_THROWS_WITH_AS(gan::load_generator(path, *other.generator), doctest::Contains("main.0.weight"), duel::ValueError);
  check_identical(other.generator->state_dict(), before);
}

TEST_CASE("load_generator: the average of G's weights when the run kept one, G's own weights when asked") {
  const TempDir dir;
  duel::manual_seed(3);
  GanSetup setup(gan::mlp_gan(8), {.ema_decay = 0.9});
  setup.trainer.step(duel::test::random_images({4, 1, 28, 28}, 1));
  gan::save_checkpoint(dir / "c.safetensors", setup.trainer, setup.models.config, Tensor<float>());

  gan::GanModels fresh = gan::mlp_gan(8);
  gan::load_generator(dir / "c.safetensors", *fresh.generator);
  check_identical(fresh.generator->state_dict(), setup.trainer.ema()->average());
  gan::load_generator(dir / "c.safetensors", *fresh.generator, /*average=*/false);
  check_identical(fresh.generator->state_dict(), setup.models.generator->state_dict());
}

TEST_CASE_FIXTURE(SavedMlpGan, "load_checkpoint: a trainer keeping an average refuses a checkpoint without one, changing nothing") {
  duel::manual_seed(1);
  GanSetup averaging(gan::mlp_gan(8), {.ema_decay = 0.9});
  const StateDict before = training_state(averaging.trainer);
  CHECK_THROWS_WITH_AS(gan::load_checkpoint(path, averaging.trainer), doctest::Contains("G_ema: ModelEma: the state holds no averaged weights"),
                       duel::ValueError);
  check_identical(training_state(averaging.trainer), before);
}
