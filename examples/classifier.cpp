// classifier: trains the digit classifier that judges Duel's GANs (duel/metrics/classifier.hpp).
//
//   ./build/examples/classifier --out data/mnist_classifier.safetensors
//
// It learns from the 8,000 bundled training digits with Adam and cross-entropy, then counts how
// many of the 2,000 test digits it gets right. A judge that misreads real digits would blame the
// generator for its own mistakes, so a classifier under --min-accuracy is not saved.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <duel/duel.hpp>
#include <iostream>
#include <thread>

namespace {

// Moves each image by up to `max_shift` pixels in x and y (background -1 fills the gap): with
// only 8,000 digits, the network sees new positions of them each epoch instead of memorising.
duel::Tensor<float> shift_randomly(const duel::Tensor<float>& images, duel::index_t max_shift, duel::Generator& rng) {
  const duel::index_t n = images.size(0), h = images.size(2), w = images.size(3);
  duel::Tensor<float> out = duel::full<float>(images.shape(), -1.0f);
  for (duel::index_t i = 0; i < n; ++i) {
    const auto dy = static_cast<duel::index_t>(rng.next_below(2 * max_shift + 1)) - max_shift;
    const auto dx = static_cast<duel::index_t>(rng.next_below(2 * max_shift + 1)) - max_shift;
    for (duel::index_t y = std::max<duel::index_t>(0, dy); y < std::min(h, h + dy); ++y) {
      for (duel::index_t x = std::max<duel::index_t>(0, dx); x < std::min(w, w + dx); ++x) {
        out(i, 0, y, x) = images(i, 0, y - dy, x - dx);
      }
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace duel;
  std::filesystem::path data_dir = DUEL_DATA_DIR, out = "out/mnist_classifier.safetensors";
  std::int64_t epochs = 12, batch_size = 64, max_shift = 2;
  double lr = 1e-3, min_accuracy = 0.98;
  std::uint64_t seed = 0;
  int threads = 0;
  io::ArgParser args("classifier", "Trains the MNIST classifier behind Duel's GAN scores (FID, Inception Score).");
  args.option("--data", data_dir, "DIR", "folder with the MNIST IDX files");
  args.option("--out", out, "FILE", "where the weights go");
  args.option("--epochs", epochs, "N", "passes over the training digits", 1);
  args.option("--batch-size", batch_size, "N", "images per step", 1);
  args.option("--lr", lr, "X", "first learning rate of Adam, decayed linearly to 0", 0);
  args.option("--shift", max_shift, "N", "move training digits by up to N pixels", 0);
  args.option("--seed", seed, "N", "seed of the initial weights and the batch order");
  args.option("--threads", threads, "N", "threads to use (0: every core)", 0);
  args.option("--min-accuracy", min_accuracy, "X", "test accuracy below which nothing is saved", 0);

  return io::run_main(args, argc, argv, [&] {
    set_num_threads(threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    manual_seed(seed);
    const data::Dataset train = data::load_mnist(data_dir, data::Split::train);
    const data::Dataset test = data::load_mnist(data_dir, data::Split::test);
    const Tensor<float> test_images = metrics::all_images(test);
    const data::DataLoader loader(train, {.batch_size = batch_size, .seed = seed});

    metrics::MnistClassifier net;
    std::cout << net << "\n\n";
    optim::Adam optimizer(net.parameters(), lr);
    Generator shift_rng(seed + 1);
    const double total_steps = static_cast<double>(epochs * loader.batches_per_epoch());
    std::int64_t step = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::int64_t e = 0; e < epochs; ++e) {
      net.train();
      double loss_sum = 0;
      for (const data::Batch& batch : loader.epoch(e)) {
        optimizer.set_lr(lr * (1 - static_cast<double>(step++) / total_steps));  // big steps first, then fine ones
        const Tensor<float> images = max_shift > 0 ? shift_randomly(batch.images, max_shift, shift_rng) : batch.images;
        const Var<float> loss = cross_entropy(net(Var<float>(images)), batch.labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        loss_sum += static_cast<double>(loss.value().item());
      }
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
      std::printf("epoch %lld/%lld  loss %.4f  test accuracy %.2f%%  (%.0f s)\n", static_cast<long long>(e + 1),
                  static_cast<long long>(epochs), loss_sum / static_cast<double>(loader.batches_per_epoch()),
                  100 * metrics::accuracy(net, test_images, test.labels), took.count());
      std::fflush(stdout);
    }

    const double test_accuracy = metrics::accuracy(net, test_images, test.labels);
    if (test_accuracy < min_accuracy) {
      throw ValueError(duel::detail::cat("test accuracy ", 100 * test_accuracy, "% is below --min-accuracy ",
                                         100 * min_accuracy, "%: not saved (train longer?)"));
    }
    std::string command = std::filesystem::path(argv[0]).filename().string();
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    metrics::save_classifier(out, net, {{"test_accuracy", duel::detail::cat(test_accuracy)}, {"command", command}});
    std::cout << "test accuracy " << 100 * test_accuracy << "% on " << test.size() << " digits; wrote " << out.string() << '\n';
    return 0;
  });
}
