// bench_gan_step: how long one full GAN training iteration takes, the figure Duel's speed is
// judged by against the PyTorch twin (pytorch/twin.py), which runs the same schedule:
//
//   batch 64, Adam lr 2e-4 betas (0.5, 0.999), "real" data = 4 fixed random batches in [-1, 1]
//   used in turn; one iteration = gan::AdversarialTrainer::step with the non-saturating loss:
//     D step: D(real) and D(G(z).detach()), BCE with targets 1 and 0, backward, Adam on D
//     G step: D(G(z)) with target 1, backward through D into G, Adam on G
//
// One difference is Duel's on purpose: it freezes D's weights during the G step, so that backward
// skips D's weight gradients there; PyTorch computes and then discards them. macs_per_iter counts
// the twin's work (so GFLOP/s compare like with like), duel_macs_per_iter what Duel really does.
//
// Heap traffic is counted by replacing the global operator new and delete (every form) in this
// file, during the timed iterations only. Eigen's matrix-vector products (the critic's last layer)
// may take scratch memory from std::malloc, which these counts do not see.
#include <atomic>
#include <cstdlib>
#include <new>

#include "bench_common.hpp"

namespace {

std::atomic<bool> counting{false};
std::atomic<std::uint64_t> allocations{0}, allocated_bytes{0};

void* allocate(std::size_t n, std::size_t alignment) noexcept {
  if (counting.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    allocated_bytes.fetch_add(n, std::memory_order_relaxed);
  }
  n = std::max<std::size_t>(n, 1);  // new must return a distinct pointer even for 0 bytes
  if (alignment <= alignof(std::max_align_t)) return std::malloc(n);
  void* p = nullptr;
  return posix_memalign(&p, alignment, n) == 0 ? p : nullptr;
}

void* allocate_or_throw(std::size_t n, std::size_t alignment) {
  if (void* p = allocate(n, alignment)) return p;
  throw std::bad_alloc();
}

}  // namespace

// Both malloc and posix_memalign memory goes back through free, so every delete is the same.
void* operator new(std::size_t n) { return allocate_or_throw(n, 0); }
void* operator new[](std::size_t n) { return allocate_or_throw(n, 0); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return allocate(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return allocate(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace {

using namespace duel;

void print_layers(const std::vector<bench::Layer>& layers) {
  for (const bench::Layer& l : layers) {
    if (l.macs) std::printf("  %s fwd %9.3f MMAC  %-60s %s -> %s\n", l.net.c_str(), static_cast<double>(l.macs) / 1e6,
                            l.describe().c_str(), l.in.str().c_str(), l.out.str().c_str());
  }
}

void run(const std::string& name, int threads, int warmup, int iters) {
  duel::Generator rng(0);
  bench::Subject s = bench::make_subject(name, rng);
  gan::Generator& G = *s.models.generator;
  gan::Discriminator& D = *s.models.discriminator;
  optim::Adam opt_g(G.parameters(), 2e-4, {.beta1 = 0.5, .beta2 = 0.999});
  optim::Adam opt_d(D.parameters(), 2e-4, {.beta1 = 0.5, .beta2 = 0.999});
  gan::AdversarialTrainer trainer(G, D, opt_g, opt_d, {.loss = gan::GanLoss::non_saturating});

  Shape images{bench::batch};
  for (index_t d : D.image_shape()) images.push_back(d);
  std::vector<Tensor<float>> reals;
  for (int i = 0; i < 4; ++i) {
    reals.push_back(Tensor<float>::empty(images));
    uniform_(reals.back(), -1, 1, rng);
  }

  for (int i = 0; i < warmup; ++i) trainer.step(reals[i % 4]);
  std::vector<double> ms;
  ms.reserve(static_cast<std::size_t>(iters));
  gan::StepStats last;
  allocations = 0;
  allocated_bytes = 0;
  counting = true;
  const double cpu0 = bench::cpu_ms();
  for (int i = 0; i < iters; ++i) {
    const double t0 = bench::now_ms();
    last = trainer.step(reals[i % 4]);
    ms.push_back(bench::now_ms() - t0);
  }
  const double cpu_per_iter = (bench::cpu_ms() - cpu0) / iters;
  counting = false;

  const bench::Summary t = bench::summarize(ms);
  const bench::IterationMacs twin = bench::iteration_macs(s.g_layers, s.d_layers, 3);
  const bench::IterationMacs own = bench::iteration_macs(s.g_layers, s.d_layers, 2);
  const double gflops = 2.0 * static_cast<double>(twin.total()) / (t.median * 1e6);
  const double per_iter_allocs = static_cast<double>(allocations.load()) / iters;
  const double per_iter_bytes = static_cast<double>(allocated_bytes.load()) / iters;

  std::printf("model=%s batch=%lld threads=%d iters=%d: median %.2f ms  min %.2f ms  max %.2f ms  (losses D %.3f G %.3f)\n",
              name.c_str(), static_cast<long long>(bench::batch), threads, iters, t.median, t.min, t.max, last.d_loss, last.g_loss);
  std::printf("CPU time (all threads): %.2f ms per iteration\n", cpu_per_iter);
  std::printf("MACs/iter (twin's count): G %.4f G + D %.4f G = %.4f GMAC -> %.1f GFLOP/s at median, %.1f at min\n",
              static_cast<double>(twin.g) / 1e9, static_cast<double>(twin.d) / 1e9, static_cast<double>(twin.total()) / 1e9,
              gflops, 2.0 * static_cast<double>(twin.total()) / (t.min * 1e6));
  std::printf("MACs/iter (Duel's own, no D weight gradients in the G step): %.4f GMAC\n", static_cast<double>(own.total()) / 1e9);
  std::printf("heap (operator new, timed iterations): %.1f allocations and %.2f MiB per iteration; peak RSS %.1f MiB\n",
              per_iter_allocs, per_iter_bytes / (1 << 20), bench::peak_rss_mib());
  print_layers(s.g_layers);
  print_layers(s.d_layers);

  bench::JsonLine j;
  j.field("model", name).field("threads", threads).field("batch", bench::batch).field("iters", iters).field("warmup", warmup);
  j.field("median_ms", t.median).field("min_ms", t.min).field("max_ms", t.max).field("cpu_ms_per_iter", cpu_per_iter);
  j.field("macs_per_iter", twin.total()).field("g_macs", twin.g).field("d_macs", twin.d);
  j.field("duel_macs_per_iter", own.total()).field("gflops_median", gflops);
  const char* tunables = std::getenv("GLIBC_TUNABLES");  // compare.sh --keep-heap sets it
  j.field("peak_rss_mib", bench::peak_rss_mib()).field("glibc_tunables", tunables ? tunables : "");
  j.field("heap_allocations_per_iter", per_iter_allocs).field("heap_bytes_per_iter", per_iter_bytes);
  if (!s.problem.empty()) j.field("problem", s.problem);
  j.print_result();
}

}  // namespace

int main(int argc, char** argv) {
  return bench::run_program(argc, argv,
                            "usage: bench_gan_step [--model NAME]... [--threads N] [--warmup 5] [--iters 30]\n\n"
                            "Times full GAN training iterations (batch 64) of mlp, dcgan28 and dcgan64 (or all),\n"
                            "the schedule of benchmarks/pytorch/twin.py. Prints one 'RESULT {json}' line per model.\n",
                            "--iters", [](const bench::Options& o) {
                              for (const std::string& m : o.models) run(m, o.threads, o.warmup, o.count);
                            });
}
