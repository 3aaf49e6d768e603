// TrainingMonitor: what a person watching a GAN learn wants to see, written as it trains.
//
//   out/train.csv            one row per step: losses, mean D(x) and D(G(z)), penalty, seconds
//   out/losses.svg           the loss curves; out/scores.svg the critic's mean scores
//   out/samples/step_N.png   the generator's pictures of one fixed batch of noise, every N steps,
//   out/samples.png          so the grids show the same "people" growing up; the latest one here.
//                            A conditional generator draws class r in row r; a trainer that
//                            keeps an average of G's weights draws with the average.
//   out/checkpoint.safetensors  everything needed to resume (see checkpoint.hpp)
// and a progress bar with the losses, images/s and the time left.
#pragma once

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "duel/gan/checkpoint.hpp"
#include "duel/io/csv_log.hpp"
#include "duel/io/image_grid.hpp"
#include "duel/io/progress.hpp"
#include "duel/io/svg_plot.hpp"

namespace duel::gan {

struct MonitorOptions {
  std::filesystem::path out_dir = "out";
  std::int64_t total_steps = 1;
  std::int64_t sample_every = 500;      // grid, plots and checkpoint every this many steps (and at the end)
  index_t grid_columns = 8;             // samples per row of the grid
  index_t batch_size = 64;              // for images per second
  std::map<std::string, std::string> config = {};  // the model config stored in checkpoints
  std::ostream* log = &std::cerr;
};

class TrainingMonitor {
 public:
  static inline const std::vector<std::string> columns{"step", "epoch", "d_loss", "g_loss", "d_real", "d_fake", "penalty", "seconds"};

  TrainingMonitor(AdversarialTrainer& trainer, MonitorOptions options, Tensor<float> fixed_noise)
      : trainer_(trainer), o_(std::move(options)), fixed_noise_(std::move(fixed_noise)),
        start_(std::chrono::steady_clock::now()) {
    namespace fs = std::filesystem;
    if (o_.sample_every < 1 || o_.total_steps < 1) {
      throw ValueError(duel::detail::cat("TrainingMonitor: sample_every and total_steps must be >= 1, got ", o_.sample_every, " and ", o_.total_steps));
    }
    std::error_code ec;
    fs::create_directories(o_.out_dir / "samples", ec);
    if (ec) throw IoError(duel::detail::cat("cannot create output folder '", (o_.out_dir / "samples").string(), "': ", ec.message()));
    const std::int64_t resumed = trainer_.steps_done();
    keep_csv_rows_up_to(resumed);
    csv_.emplace(csv_path(), columns, resumed > 0);
    bar_.emplace(o_.total_steps, *o_.log,
                 io::ProgressOptions{.items_per_step = static_cast<double>(o_.batch_size), .unit = "img", .start_step = resumed});
  }

  void on_step(const StepStats& s) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    csv_->add_row(static_cast<double>(s.step), static_cast<double>(s.epoch), s.d_loss, s.g_loss, s.d_real, s.d_fake,
                  s.penalty, seconds);
    bar_->update(s.step, {{"D", s.d_loss}, {"G", s.g_loss}, {"D(x)", s.d_real}, {"D(G(z))", s.d_fake}});
    if (s.step % o_.sample_every == 0 && s.step < o_.total_steps) save_all(s.step);
  }

  // Writes the final pictures, plots and checkpoint, and closes the progress bar.
  void finish() {
    save_all(trainer_.steps_done());
    bar_->close();
  }

  std::filesystem::path csv_path() const { return o_.out_dir / "train.csv"; }
  std::filesystem::path checkpoint_path() const { return o_.out_dir / "checkpoint.safetensors"; }

 private:
  void save_all(std::int64_t step) {
    Generator& G = trainer_.generator();
    const bool was_training = G.is_training();
    G.eval();  // running statistics: drawing pictures must not change the model
    Tensor<float> images;
    const auto draw = [&] {
      NoGradGuard no_grad;
      images = G.generate(Var<float>(fixed_noise_), grid_labels()).value();
    };
    if (const optim::ModelEma* ema = trainer_.ema()) ema->with_average(G, draw);  // what generate will draw
    else draw();
    G.train(was_training);
    char name[32];
    std::snprintf(name, sizeof name, "step_%06lld.png", static_cast<long long>(step));
    const io::ImageGridOptions grid{.nrow = o_.grid_columns};
    io::save_image_grid(o_.out_dir / "samples" / name, images, grid);
    io::save_image_grid(o_.out_dir / "samples.png", images, grid);
    save_plots();
    save_checkpoint(checkpoint_path(), trainer_, o_.config, fixed_noise_);
  }

  void save_plots() const {
    const auto rows = read_rows();
    std::vector<std::vector<double>> col(columns.size());
    for (const auto& r : rows) {
      for (std::size_t c = 0; c < columns.size() && c < r.size(); ++c) col[c].push_back(r[c]);
    }
    io::SvgPlot({.title = "GAN losses", .x_label = "step", .y_label = "loss", .smoothing = 0.9})
        .add("D loss", col[0], col[2])
        .add("G loss", col[0], col[3])
        .save(o_.out_dir / "losses.svg");
    io::SvgPlot({.title = "Mean critic scores", .x_label = "step", .y_label = "score", .smoothing = 0.9})
        .add("D(x)", col[0], col[4])
        .add("D(G(z))", col[0], col[5])
        .save(o_.out_dir / "scores.svg");
  }

  // For a conditional generator, sample i of the fixed noise is drawn as class i / columns.
  Tensor<std::int64_t> grid_labels() const {
    if (trainer_.generator().num_classes() == 0) return {};
    Tensor<std::int64_t> labels = Tensor<std::int64_t>::empty({fixed_noise_.size(0)});
    for (index_t i = 0; i < labels.numel(); ++i) labels.data()[i] = std::min(i / o_.grid_columns, trainer_.generator().num_classes() - 1);
    return labels;
  }

  // The numeric rows of train.csv (the header skipped).
  std::vector<std::vector<double>> read_rows() const {
    std::vector<std::vector<double>> rows;
    std::ifstream in(csv_path());
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::vector<double> r;
      std::stringstream fields(line);
      for (std::string f; std::getline(fields, f, ',');) r.push_back(std::strtod(f.c_str(), nullptr));
      if (r.size() == columns.size()) rows.push_back(std::move(r));
    }
    return rows;
  }

  // A resumed run continues the log of the checkpointed one: rows written after the checkpoint
  // (by a run that went on and then stopped) are dropped, so every step appears once.
  void keep_csv_rows_up_to(std::int64_t step) const {
    if (step == 0 || !std::filesystem::exists(csv_path())) return;
    std::ifstream in(csv_path());
    std::string header, line, kept;
    std::getline(in, header);
    while (std::getline(in, line)) {
      if (std::strtoll(line.c_str(), nullptr, 10) <= step) kept += line + "\n";
    }
    io::write_file_atomically(csv_path(), header + "\n" + kept);
  }

  AdversarialTrainer& trainer_;
  MonitorOptions o_;
  Tensor<float> fixed_noise_;
  std::chrono::steady_clock::time_point start_;
  std::optional<io::CsvLog> csv_;
  std::optional<io::ProgressBar> bar_;
};

}  // namespace duel::gan
