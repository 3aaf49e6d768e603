#!/usr/bin/python3
"""Duel's PyTorch twin: the same GANs, trained on the same schedule, timed on the CPU.

The numbers bench_gan_step and bench_layers print are only meaningful beside these, measured on
the same machine at the same time (benchmarks/compare.sh runs both in turn).

Schedule of one iteration (batch 64, float32, Adam lr 2e-4 betas (0.5, 0.999)):
  D step: D(real) with target 1, D(G(z).detach()) with target 0, BCE with logits, backward, Adam on D
  G step: D(G(z)) with target 1 (the non-saturating loss), backward through D into G, Adam on G
"Real" data is 4 fixed random batches in [-1, 1], used in turn. PyTorch computes D's weight
gradients in the G step too (and zero_grad throws them away); Duel skips them. MACs are counted
as PyTorch does the work, so that GFLOP/s of the two sides measure the same thing.

Run it as compare.sh does, so that OpenBLAS may use its best kernels:
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=2 \\
      /usr/bin/python3 twin.py --model dcgan28 --threads 2 [--layers]
"""
import argparse
import ctypes
import json
import os
import resource
import statistics
import time

import torch
from torch import nn

BATCH = 64


# ----------------------------------------------------------------------------- the three GANs
class Unflatten(nn.Module):
    """[N, C*H*W] -> [N, C, H, W]."""

    def __init__(self, *chw):
        super().__init__()
        self.chw = chw

    def forward(self, x):
        return x.reshape(x.shape[0], *self.chw)


def leaky():
    return nn.LeakyReLU(0.2)


def up(cin, cout, **kw):
    """A DCGAN generator block: transposed convolution (4x4, stride 2, pad 1 unless told), BN, ReLU."""
    conv = dict(kernel_size=4, stride=2, padding=1)
    conv.update(kw)
    return [nn.ConvTranspose2d(cin, cout, **conv), nn.BatchNorm2d(cout), nn.ReLU()]


def down(cin, cout, norm=True, **kw):
    """A DCGAN critic block: convolution (4x4, stride 2, pad 1), optional BN, LeakyReLU(0.2)."""
    return [nn.Conv2d(cin, cout, 4, 2, 1, **kw)] + ([nn.BatchNorm2d(cout)] if norm else []) + [leaky()]


def mlp():
    g = nn.Sequential(nn.Linear(100, 256), leaky(), nn.Linear(256, 512), leaky(), nn.Linear(512, 784), nn.Tanh())
    d = nn.Sequential(nn.Linear(784, 512), leaky(), nn.Linear(512, 256), leaky(), nn.Linear(256, 1))
    return g, d, (100,), (784,)


def dcgan28():
    g = nn.Sequential(nn.Linear(100, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), Unflatten(128, 7, 7),
                      *up(128, 64), nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(*down(1, 64, norm=False), *down(64, 128), nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    return g, d, (100,), (1, 28, 28)


def dcgan64(nz=100, w=64, channels=3):
    g = nn.Sequential(*up(nz, 8 * w, stride=1, padding=0, bias=False), *up(8 * w, 4 * w, bias=False),
                      *up(4 * w, 2 * w, bias=False), *up(2 * w, w, bias=False),
                      nn.ConvTranspose2d(w, channels, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(*down(channels, w, norm=False, bias=False), *down(w, 2 * w, bias=False),
                      *down(2 * w, 4 * w, bias=False), *down(4 * w, 8 * w, bias=False),
                      nn.Conv2d(8 * w, 1, 4, 1, 0, bias=False), nn.Flatten())
    return g, d, (nz, 1, 1), (channels, 64, 64)


MODELS = {"mlp": mlp, "dcgan28": dcgan28, "dcgan64": dcgan64}


def dcgan_init(net):
    """Radford et al.: convolution weights N(0, 0.02), batch-norm scales N(1, 0.02), shifts 0."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


# ----------------------------------------------------------------------------- layers and MACs
PRODUCT_LAYERS = (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)
TIMED_LAYERS = PRODUCT_LAYERS + (nn.BatchNorm1d, nn.BatchNorm2d)


def forward_macs(m, x, y):
    """Multiply-adds of one forward pass; the same rule as benchmarks/bench_common.hpp."""
    if isinstance(m, nn.Linear):
        return x.numel() * m.out_features
    if isinstance(m, nn.ConvTranspose2d):  # weight [in, out, kh, kw]
        return x.numel() * m.weight[0].numel()
    if isinstance(m, nn.Conv2d):  # weight [out, in, kh, kw]
        return y.numel() * m.weight[0].numel()
    return 0


def trace(net, x):
    """(module, input shape, output shape, forward MACs) of every timed layer, in the order they run."""
    seen = []
    hooks = [m.register_forward_hook(lambda m, i, o: seen.append((m, tuple(i[0].shape), tuple(o.shape),
                                                                  forward_macs(m, i[0], o))))
             for m in net.modules() if isinstance(m, TIMED_LAYERS)]
    net.eval()
    with torch.no_grad():
        net(x)
    net.train()
    for h in hooks:
        h.remove()
    return seen


def iteration_macs(g_layers, d_layers):
    """G: forward, dW, and dX except at its first product layer (z needs no gradient).
    D: three forwards, three dW (PyTorch computes them in the G step too), dX at every layer in the
    G step and at all but the first in the two D-step passes."""
    def total(layers, first, rest):
        macs = [m for (_, _, _, m) in layers if m]
        return sum(first * m if k == 0 else rest * m for k, m in enumerate(macs))
    return total(g_layers, 2, 3), total(d_layers, 7, 9)


# ----------------------------------------------------------------------------- the BLAS in use
def blas_info():
    """Which BLAS library this process runs: torch links libblas.so.3, which Debian's alternatives
    point at OpenBLAS or at the slow netlib reference implementation."""
    mapped = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in os.path.basename(path) or "mkl" in os.path.basename(path):
                mapped.add(os.path.realpath(path))
    info = {"blas_libraries": sorted(mapped)}
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        info.update(blas="OpenBLAS", blas_is_reference=False, blas_config=lib.openblas_get_config().decode(),
                    blas_core=lib.openblas_get_corename().decode())
    except (OSError, AttributeError):
        info.update(blas="reference BLAS (netlib libblas.so.3) -- SLOW, install libopenblas0-openmp",
                    blas_is_reference=True)
    return info


# ----------------------------------------------------------------------------- timing
def median_min_max(seconds):
    ms = [s * 1e3 for s in seconds]
    return statistics.median(ms), min(ms), max(ms)


def time_iterations(g, d, z_shape, reals, warmup, iters):
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    real_label, fake_label = torch.ones(BATCH, 1), torch.zeros(BATCH, 1)

    def step(i):
        opt_d.zero_grad(set_to_none=True)
        fake = g(torch.randn((BATCH,) + z_shape))
        d_loss = bce(d(reals[i % len(reals)]).view(BATCH, 1), real_label) + \
            bce(d(fake.detach()).view(BATCH, 1), fake_label)
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        g_loss = bce(d(fake).view(BATCH, 1), real_label)
        g_loss.backward()
        opt_g.step()
        return d_loss.item(), g_loss.item()

    for i in range(warmup):
        step(i)
    seconds, cpu_start = [], time.process_time()
    for i in range(iters):
        start = time.perf_counter()
        losses = step(i)
        seconds.append(time.perf_counter() - start)
    return seconds, (time.process_time() - cpu_start) / iters * 1e3, losses


def gemm_ms(m, n, k, ta, tb, warmup, reps):
    """Median time of C [m x n] = op(A) op(B) through torch.mm (that is, the BLAS sgemm)."""
    a = torch.randn((k, m) if ta else (m, k))
    b = torch.randn((n, k) if tb else (k, n))
    a, b = (a.t() if ta else a), (b.t() if tb else b)
    seconds = []
    for r in range(warmup + reps):
        start = time.perf_counter()
        torch.mm(a, b)
        if r >= warmup:
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1e3


def products(m, x_shape, y_shape):
    """The forward, dX and dW products of an im2col layer, as (m, n, k, ta, tb); see bench_layers.cpp."""
    if isinstance(m, nn.Linear):
        rows = BATCH
        return [(rows, m.out_features, m.in_features, False, True), (rows, m.in_features, m.out_features, False, False),
                (m.out_features, m.in_features, rows, True, False)]
    if not isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        return []
    w = m.weight.shape
    k = w[1] * w[2] * w[3]
    if isinstance(m, nn.ConvTranspose2d):
        p = x_shape[0] * x_shape[2] * x_shape[3]
        return [(k, p, w[0], True, False), (w[0], p, k, False, False), (w[0], k, p, False, True)]
    p = y_shape[0] * y_shape[2] * y_shape[3]
    return [(w[0], p, k, False, False), (k, p, w[0], True, False), (w[0], k, p, False, True)]


def time_layers(net_name, layers, warmup, reps):
    """Forward, and backward with dX and dW, of each layer at its training shape, beside the BLAS
    GEMM at the layer's three product shapes (fields as in bench_layers' RESULT)."""
    rows = []
    for m, x_shape, y_shape, macs in layers:
        x = torch.randn(x_shape, requires_grad=True)
        gy = torch.randn(y_shape)
        fwd, bwd = [], []
        for r in range(warmup + reps):
            x.grad = None
            m.zero_grad(set_to_none=True)
            t0 = time.perf_counter()
            y = m(x)
            t1 = time.perf_counter()
            y.backward(gy)
            t2 = time.perf_counter()
            del y
            if r >= warmup:
                fwd.append(t1 - t0)
                bwd.append(t2 - t1)
        f, f_min, _ = median_min_max(fwd)
        b, b_min, _ = median_min_max(bwd)
        row = dict(net=net_name, layer=repr(m), in_shape=list(x_shape), out_shape=list(y_shape), fwd_macs=macs,
                   fwd_ms=f, bwd_ms=b, fwd_bwd_ms=f + b, fwd_min_ms=f_min, bwd_min_ms=b_min)
        prods = products(m, x_shape, y_shape)
        if prods:
            times = [gemm_ms(*p, warmup, reps) for p in prods]
            row.update(fwd_gflops=2 * macs / f / 1e6, fwd_bwd_gflops=6 * macs / (f + b) / 1e6,
                       blas_fwd_ms=times[0], blas_fwd_bwd_ms=sum(times),
                       blas_fwd_gflops=2 * macs / times[0] / 1e6, blas_fwd_bwd_gflops=6 * macs / sum(times) / 1e6)
            row.update(fwd_ratio=row["fwd_gflops"] / row["blas_fwd_gflops"],
                       fwd_bwd_ratio=row["fwd_bwd_gflops"] / row["blas_fwd_bwd_gflops"])
        rows.append(row)
    return rows


def print_layer_rows(rows):
    print(f"   {'layer':<16} {'input -> output':<34} {'MMAC':>9} {'fwd':>8} {'bwd':>8} {'fwd GF/s':>8} {'f+b GF/s':>8} "
          f"{'BLAS fwd':>8} {'BLAS f+b':>8} {'r fwd':>6} {'r f+b':>6}")
    for r in rows:
        shapes = f"{r['in_shape']} -> {r['out_shape']}".replace(" ", "").replace("->", " -> ")
        name = r["layer"].split("(")[0]
        line = f" {r['net']} {name:<16} {shapes:<34} "
        if "fwd_gflops" in r:
            line += (f"{r['fwd_macs'] / 1e6:9.2f} {r['fwd_ms']:8.3f} {r['bwd_ms']:8.3f} {r['fwd_gflops']:8.1f} "
                     f"{r['fwd_bwd_gflops']:8.1f} {r['blas_fwd_gflops']:8.1f} {r['blas_fwd_bwd_gflops']:8.1f} "
                     f"{r['fwd_ratio']:6.2f} {r['fwd_bwd_ratio']:6.2f}")
        else:
            line += f"{'-':>9} {r['fwd_ms']:8.3f} {r['bwd_ms']:8.3f}"
        print(line)


# ----------------------------------------------------------------------------- main
def run(name, threads, warmup, iters, layers, reps, blas):
    torch.manual_seed(0)
    g, d, z_shape, x_shape = MODELS[name]()
    if name != "mlp":
        dcgan_init(g)
        dcgan_init(d)
    reals = [torch.rand((BATCH,) + x_shape) * 2 - 1 for _ in range(4)]
    g_layers = trace(g, torch.randn((BATCH,) + z_shape))
    d_layers = trace(d, reals[0])
    g_macs, d_macs = iteration_macs(g_layers, d_layers)
    macs = g_macs + d_macs

    seconds, cpu_ms, (d_loss, g_loss) = time_iterations(g, d, z_shape, reals, warmup, iters)
    med, lo, hi = median_min_max(seconds)
    print(f"model={name} batch={BATCH} threads={torch.get_num_threads()} iters={iters}: median {med:.2f} ms  "
          f"min {lo:.2f} ms  max {hi:.2f} ms  (losses D {d_loss:.3f} G {g_loss:.3f})")
    print(f"CPU time (all threads): {cpu_ms:.2f} ms per iteration")
    print(f"MACs/iter: G {g_macs / 1e9:.4f} G + D {d_macs / 1e9:.4f} G = {macs / 1e9:.4f} GMAC -> "
          f"{2 * macs / med / 1e6:.1f} GFLOP/s at median, {2 * macs / lo / 1e6:.1f} at min")
    result = dict(model=name, threads=torch.get_num_threads(), batch=BATCH, iters=iters, warmup=warmup,
                  median_ms=med, min_ms=lo, max_ms=hi, cpu_ms_per_iter=cpu_ms, macs_per_iter=macs, g_macs=g_macs, d_macs=d_macs,
                  gflops_median=2 * macs / med / 1e6, torch=torch.__version__,
                  mkldnn=torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
                  omp_num_threads=os.environ.get("OMP_NUM_THREADS"),
                  openblas_coretype=os.environ.get("OPENBLAS_CORETYPE"),
                  glibc_tunables=os.environ.get("GLIBC_TUNABLES", ""), **blas)
    if layers:
        rows = time_layers("G", g_layers, warmup, reps) + time_layers("D", d_layers, warmup, reps)
        print(f"per layer, batch {BATCH}, threads {torch.get_num_threads()}, median of {reps} "
              "(ms; ratio = layer / BLAS GEMM at its shapes):")
        print_layer_rows(rows)
        result["blas_gemm_1024_gflops"] = 2 * 1024 ** 3 / gemm_ms(1024, 1024, 1024, False, False, 2, 10) / 1e6
        result["layers"] = rows
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append", choices=sorted(MODELS) + ["all"],
                    help="mlp, dcgan28, dcgan64 or all; may repeat (default dcgan28)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--layers", action="store_true", help="also time each layer forward and backward")
    ap.add_argument("--reps", type=int, default=50, help="timed repetitions per layer with --layers")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    blas = blas_info()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, mkldnn "
          f"{'on' if torch.backends.mkldnn.enabled and torch.backends.mkldnn.is_available() else 'off'}, "
          f"BLAS: {blas['blas']} {blas.get('blas_core', '')}")
    if blas["blas_is_reference"]:
        print("WARNING: PyTorch is running on the reference BLAS; its timings are 4-10x slower than with OpenBLAS "
              "and unfair to compare against (apt-get install -y libopenblas0-openmp)")
    names = a.model or ["dcgan28"]
    for name in (["mlp", "dcgan28", "dcgan64"] if "all" in names else names):
        run(name, a.threads, a.warmup, a.iters, a.layers, a.reps, blas)


if __name__ == "__main__":
    main()
