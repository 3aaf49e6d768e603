// bench_layers: where a training iteration's time goes, layer by layer, set against the speed of
// the matrix products the layer cannot do without.
//
// Every Linear, Conv2d, ConvTranspose2d and BatchNorm layer of dcgan28 (and of dcgan64 with
// --model dcgan64) runs at the shape it sees in training (batch 64): forward, then backward with
// both the input gradient dX and the weight gradient dW. GFLOP/s are counted as the twin counts
// them: 2 MACs per forward, 6 MACs per forward + backward.
//
// A layer with weights is three matrix products: forward, dX and dW. For a convolution written
// as im2col + GEMM, with P = batch * output pixels and K = in_channels * kh * kw, they are
//   forward  [O x K] [K x P]     dX  [O x K]^T [O x P]     dW  [O x P] [K x P]^T
// (a transposed convolution swaps the roles of forward and dX). Eigen's float GEMM is timed at
// exactly these shapes in the same run, and "ratio" = layer GFLOP/s / Eigen GFLOP/s: 1 means the
// layer runs as fast as its products alone, and the rest of 1 is what im2col, copies, bias and
// bookkeeping cost. Eigen at 1024^3 is printed too, as the machine's yardstick.
#include "bench_common.hpp"

namespace {

using namespace duel;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// C [m x n] = op(A) op(B), op(A) [m x k], op(B) [k x n]; ta / tb: the operand is stored transposed.
struct Product {
  index_t m, n, k;
  bool ta, tb;
};

// The forward, dX and dW products of a layer, or none for a layer without weights to multiply.
std::vector<Product> products(const bench::Layer& l) {
  if (auto* lin = dynamic_cast<const nn::Linear*>(l.module.get())) {
    const index_t out = lin->weight.size(0), in = lin->weight.size(1), rows = l.in.numel() / in;
    return {{rows, out, in, false, true}, {rows, in, out, false, false}, {out, in, rows, true, false}};
  }
  if (auto* conv = dynamic_cast<const nn::Conv2d*>(l.module.get())) {
    const Shape& w = conv->weight.shape();  // [O, C, kh, kw]
    const index_t O = w[0], K = w[1] * w[2] * w[3], P = l.out.numel() / O;
    return {{O, P, K, false, false}, {K, P, O, true, false}, {O, K, P, false, true}};
  }
  if (auto* convt = dynamic_cast<const nn::ConvTranspose2d*>(l.module.get())) {
    const Shape& w = convt->weight.shape();  // [Cin, Cout, kh, kw]: the adjoint of a Conv2d(Cout, Cin)
    const index_t O = w[0], K = w[1] * w[2] * w[3], P = l.in.numel() / O;
    return {{K, P, O, true, false}, {O, P, K, false, false}, {O, K, P, false, true}};
  }
  return {};
}

double gemm_ms(const Product& p, int warmup, int reps) {
  const RowMatrix a = p.ta ? RowMatrix::Random(p.k, p.m) : RowMatrix::Random(p.m, p.k);
  const RowMatrix b = p.tb ? RowMatrix::Random(p.n, p.k) : RowMatrix::Random(p.k, p.n);
  RowMatrix c(p.m, p.n);
  std::vector<double> ms;
  for (int r = 0; r < warmup + reps; ++r) {
    const double t0 = bench::now_ms();
    if (!p.ta && !p.tb) c.noalias() = a * b;
    else if (p.ta && !p.tb) c.noalias() = a.transpose() * b;
    else if (!p.ta) c.noalias() = a * b.transpose();
    else c.noalias() = a.transpose() * b.transpose();
    if (r >= warmup) ms.push_back(bench::now_ms() - t0);
  }
  return bench::summarize(ms).median;
}

double gflops(double macs_factor, std::int64_t macs, double ms) { return macs_factor * static_cast<double>(macs) / (ms * 1e6); }

struct LayerTiming {
  bench::Summary fwd, bwd;
};

// Forward and backward (dX and dW) of one layer, fresh gradients each time, as in training.
LayerTiming time_layer(const bench::Layer& l, duel::Generator& rng, int warmup, int reps) {
  const Var<float> x(randn(l.in, rng), true), gy(randn(l.out, rng));
  std::vector<double> fwd, bwd;
  for (int r = 0; r < warmup + reps; ++r) {
    Var<float>(x).zero_grad();
    l.module->zero_grad();
    const double t0 = bench::now_ms();
    const Var<float> y = l.module->forward(x);
    const double t1 = bench::now_ms();
    y.backward(gy);
    const double t2 = bench::now_ms();
    if (r >= warmup) {
      fwd.push_back(t1 - t0);
      bwd.push_back(t2 - t1);
    }
  }
  return {bench::summarize(fwd), bench::summarize(bwd)};
}

void run(const std::string& name, int threads, int warmup, int reps, double eigen_1024) {
  duel::Generator rng(0);
  bench::Subject s = bench::make_subject(name, rng);
  std::vector<bench::Layer> layers = s.g_layers;
  layers.insert(layers.end(), s.d_layers.begin(), s.d_layers.end());

  std::printf("\n%s, batch %lld, threads %d, median of %d (ms; GF/s = GFLOP/s; ratio = layer / Eigen GEMM at its shapes)\n",
              name.c_str(), static_cast<long long>(bench::batch), threads, reps);
  std::printf("   %-16s %-34s %9s %8s %8s %8s %8s %8s %8s %6s %6s\n", "layer", "input -> output", "MMAC", "fwd", "bwd",
              "fwd GF/s", "f+b GF/s", "Eig fwd", "Eig f+b", "r fwd", "r f+b");
  std::string rows;
  for (const bench::Layer& l : layers) {
    const auto is_norm = dynamic_cast<const nn::BatchNorm*>(l.module.get()) != nullptr;
    const std::vector<Product> prods = products(l);
    if (prods.empty() && !is_norm) continue;
    const LayerTiming t = time_layer(l, rng, warmup, reps);
    const std::string shapes = l.in.str() + " -> " + l.out.str();
    bench::JsonLine row;
    row.field("net", l.net).field("layer", l.describe()).field("in_shape", l.in).field("out_shape", l.out);
    row.field("fwd_macs", l.macs).field("fwd_ms", t.fwd.median).field("bwd_ms", t.bwd.median);
    row.field("fwd_bwd_ms", t.fwd.median + t.bwd.median).field("fwd_min_ms", t.fwd.min).field("bwd_min_ms", t.bwd.min);
    if (prods.empty()) {
      std::printf(" %s %-16s %-34s %9s %8.3f %8.3f\n", l.net.c_str(), l.module->name().c_str(), shapes.c_str(), "-",
                  t.fwd.median, t.bwd.median);
    } else {
      const double e_fwd = gemm_ms(prods[0], warmup, reps);
      const double e_all = e_fwd + gemm_ms(prods[1], warmup, reps) + gemm_ms(prods[2], warmup, reps);
      const double fwd = gflops(2, l.macs, t.fwd.median), all = gflops(6, l.macs, t.fwd.median + t.bwd.median);
      const double eig_fwd = gflops(2, l.macs, e_fwd), eig_all = gflops(6, l.macs, e_all);
      std::printf(" %s %-16s %-34s %9.2f %8.3f %8.3f %8.1f %8.1f %8.1f %8.1f %6.2f %6.2f\n", l.net.c_str(),
                  l.module->name().c_str(), shapes.c_str(), static_cast<double>(l.macs) / 1e6, t.fwd.median, t.bwd.median,
                  fwd, all, eig_fwd, eig_all, fwd / eig_fwd, all / eig_all);
      row.field("fwd_gflops", fwd).field("fwd_bwd_gflops", all).field("eigen_fwd_ms", e_fwd).field("eigen_fwd_bwd_ms", e_all);
      row.field("eigen_fwd_gflops", eig_fwd).field("eigen_fwd_bwd_gflops", eig_all);
      row.field("fwd_ratio", fwd / eig_fwd).field("fwd_bwd_ratio", all / eig_all);
    }
    rows += (rows.empty() ? "" : ", ") + row.str();
  }

  bench::JsonLine j;
  j.field("program", "bench_layers").field("model", name).field("threads", threads).field("batch", bench::batch);
  j.field("reps", reps).field("eigen_gemm_1024_gflops", eigen_1024).field("peak_rss_mib", bench::peak_rss_mib());
  if (!s.problem.empty()) j.field("problem", s.problem);
  j.raw("layers", "[" + rows + "]");
  j.print_result();
}

}  // namespace

int main(int argc, char** argv) {
  return bench::run_program(argc, argv,
                            "usage: bench_layers [--model dcgan28|dcgan64|all]... [--threads N] [--warmup 5] [--reps 50]\n\n"
                            "Times forward and backward of every Linear, Conv2d, ConvTranspose2d and BatchNorm layer\n"
                            "at its training shape (batch 64), beside Eigen's GEMM at the same shapes.\n"
                            "Prints one 'RESULT {json}' line per model.\n",
                            "--reps", [](const bench::Options& o) {
                              const double ms = gemm_ms({1024, 1024, 1024, false, false}, 2, 10);
                              const double eigen_1024 = 2.0 * 1024 * 1024 * 1024 / (ms * 1e6);
                              std::printf("Eigen float GEMM 1024^3: %.1f GFLOP/s\n", eigen_1024);
                              for (const std::string& m : o.models) run(m, o.threads, o.warmup, o.count, eigen_1024);
                            });
}
