#include "duel/gan/monitor.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "gan/gan_test.hpp"
#include "io/io_test.hpp"

using duel::Tensor;
using duel::test::GanSetup;
using duel::test::TempDir;
using duel::test::read_lines;
namespace gan = duel::gan;

namespace {

// A short run of mlp_gan on 32 random images, 4 steps an epoch, watched by a monitor writing into
// out_dir: grids of 9 samples and a checkpoint every 2 steps, 6 steps in all.
struct WatchedRun {
  GanSetup setup;
  duel::data::DataLoader loader{duel::test::random_digits(32, 1), {.batch_size = 8}};
  std::ostringstream progress;
  gan::MonitorOptions options;

  explicit WatchedRun(const std::filesystem::path& out_dir) : setup(gan::mlp_gan(8)) {
    options = {.out_dir = out_dir, .total_steps = 6, .sample_every = 2, .grid_columns = 3, .batch_size = 8,
               .config = setup.models.config, .log = &progress};
  }
  Tensor<float> fixed_noise() const {
    duel::Generator rng(5);
    return setup.models.generator->sample_latent(9, rng);
  }
  // Trains to step `last`, reporting each step to the monitor.
  void train_to(gan::TrainingMonitor& monitor, std::int64_t last) {
    setup.trainer.fit(loader, 2, last, [&monitor](const gan::StepStats& s) { monitor.on_step(s); });
  }
};

// The (width, height) in a PNG file's header.
std::pair<int, int> png_size(const std::string& png) {
  REQUIRE(png.size() > 24);
  REQUIRE(png.substr(1, 3) == "PNG");
  auto be32 = [&png](std::size_t at) {
    int v = 0;
    for (std::size_t i = at; i < at + 4; ++i) v = v << 8 | static_cast<unsigned char>(png[i]);
    return v;
  };
  return {be32(16), be32(20)};
}

// A CSV row without its last field (the wall-clock seconds, which differ between runs).
std::string without_seconds(const std::string& row) { return row.substr(0, row.rfind(',')); }

}  // namespace

TEST_CASE("TrainingMonitor writes the log, both plots, the sample grids and a checkpoint") {
  const TempDir dir;
  duel::manual_seed(1);
  WatchedRun run(dir.path());
  gan::TrainingMonitor monitor(run.setup.trainer, run.options, run.fixed_noise());
  run.train_to(monitor, 6);
  monitor.finish();

  CHECK(dir.listing() == "checkpoint.safetensors losses.svg samples samples.png scores.svg train.csv");
  for (const char* grid : {"step_000002.png", "step_000004.png", "step_000006.png"}) CHECK(std::filesystem::exists(dir / "samples" / grid));
  CHECK(std::distance(std::filesystem::directory_iterator(dir / "samples"), {}) == 3);

  const std::vector<std::string> csv = read_lines(dir / "train.csv");
  REQUIRE(csv.size() == 7);
  CHECK(csv[0] == "step,epoch,d_loss,g_loss,d_real,d_fake,penalty,seconds");
  for (std::size_t i = 1; i < csv.size(); ++i) CHECK(std::stoll(csv[i]) == static_cast<long long>(i));
  CHECK(csv[5].substr(0, 4) == "5,1,");  // step 5 is the first of epoch 1

  // The grid is the generator's pictures of the fixed noise, 3 per row with 2 pixels of padding.
  const std::string grid = duel::test::read_bytes(dir / "samples.png");
  CHECK(png_size(grid) == std::pair{3 * 30 + 2, 3 * 30 + 2});
  CHECK(grid == duel::test::read_bytes(dir / "samples" / "step_000006.png"));
  const Tensor<float> pictures = run.setup.models.generator->forward(duel::Var<float>(run.fixed_noise())).value();
  CHECK(grid == duel::io::encode_png(duel::io::make_image_grid(pictures, {.nrow = 3})));
  CHECK(run.setup.models.generator->is_training());  // drawing switched to eval mode and back

  for (const char* svg : {"losses.svg", "scores.svg"}) {
    const std::string text = duel::test::read_bytes(dir / svg);
    CHECK(text.find("<svg") != std::string::npos);
  }
  CHECK(duel::test::read_bytes(dir / "losses.svg").find("G loss") != std::string::npos);
  CHECK(duel::test::read_bytes(dir / "scores.svg").find("D(x)") != std::string::npos);

  const duel::StateDict checkpoint = duel::io::load_safetensors(dir / "checkpoint.safetensors");
  CHECK(checkpoint.metadata.at("trainer.step") == "6");
  CHECK(gan::checkpoint_config(checkpoint) == run.setup.models.config);
  CHECK(duel::allclose(checkpoint.at("fixed_noise"), run.fixed_noise(), 0, 0));
  CHECK(!run.progress.str().empty());
}

TEST_CASE("TrainingMonitor: a resumed run drops the log rows written after its checkpoint, so every step appears once") {
  const TempDir dir;
  std::vector<std::string> crashed;
  {  // a run that saved its checkpoint at step 2, logged step 3 and then stopped without finishing
    duel::manual_seed(1);
    WatchedRun run(dir.path());
    gan::TrainingMonitor monitor(run.setup.trainer, run.options, run.fixed_noise());
    run.train_to(monitor, 3);
    crashed = read_lines(dir / "train.csv");
    REQUIRE(crashed.size() == 4);
  }
  duel::manual_seed(2);
  WatchedRun run(dir.path());
  const Tensor<float> fixed_noise = gan::load_checkpoint(dir / "checkpoint.safetensors", run.setup.trainer);
  REQUIRE(run.setup.trainer.steps_done() == 2);
  gan::TrainingMonitor monitor(run.setup.trainer, run.options, fixed_noise);
  CHECK(read_lines(dir / "train.csv") == std::vector<std::string>(crashed.begin(), crashed.begin() + 3));
  run.train_to(monitor, 6);
  monitor.finish();

  const std::vector<std::string> csv = read_lines(dir / "train.csv");
  REQUIRE(csv.size() == 7);
  for (std::size_t i = 1; i < csv.size(); ++i) CHECK(std::stoll(csv[i]) == static_cast<long long>(i));
  CHECK(without_seconds(csv[3]) == without_seconds(crashed[3]));  // step 3 again, exactly as before
}

TEST_CASE("TrainingMonitor: refuses bad step counts and an output folder it cannot create") {
  const TempDir dir;
  duel::manual_seed(1);
  WatchedRun run(dir / "run");
  gan::MonitorOptions o = run.options;
  o.sample_every = 0;
  CHECK_THROWS_AS(gan::TrainingMonitor(run.setup.trainer, o, run.fixed_noise()), duel::ValueError);
  duel::test::write_bytes(dir / "file", "");
  o = run.options;
  o.out_dir = dir / "file";
  duel::test::check_error<duel::IoError>([&] { gan::TrainingMonitor(run.setup.trainer, o, run.fixed_noise()); },
                                         {"cannot create output folder"});
}
