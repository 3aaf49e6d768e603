#!/usr/bin/python3
"""PyTorch trains the same DCGAN-MNIST as Duel's dcgan_mnist example, for a given wall-clock time.

docs/quality.md compares the two at equal time on the same machine: Duel's default run takes T
seconds; this script trains PyTorch's twin for T seconds, then writes the digits its generator
draws as an IDX file that Duel's judge scores:

  env -u OPENBLAS_CORETYPE OMP_NUM_THREADS=2 /usr/bin/python3 benchmarks/pytorch/train_twin.py \\
      --seconds 320 --threads 2 --out /tmp/torch_digits.idx
  ./build/examples/evaluate --images /tmp/torch_digits.idx

Everything is as in examples/dcgan_mnist.cpp: the networks of twin.py (the reference
architecture), DCGAN initialisation, the 8,000 bundled training digits scaled to [-1, 1] and
reshuffled every epoch in batches of 64 (the last partial batch dropped), Adam (lr 2e-4, betas
0.5 and 0.999) for each player, the non-saturating BCE losses, one D step per G step. The samples
come from the generator in eval mode (running batch-norm statistics), as `evaluate` draws them.
With --pack N the critic is dcgan_mnist --pack N's PacGAN critic.
"""
import argparse
import gzip
import os
import struct
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twin import BATCH, blas_info, dcgan28, dcgan_init  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read_idx_u8(path):
    """An IDX file of unsigned bytes (gzip-compressed or not) as a uint8 tensor."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        data = f.read()
    zero, kind, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise SystemExit(f"{path}: not a uint8 IDX file")
    dims = struct.unpack(f">{rank}I", data[4:4 + 4 * rank])
    return torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8).reshape(dims)


def write_idx_u8(path, t):
    with open(path, "wb") as f:
        f.write(struct.pack(">HBB", 0, 0x08, t.dim()) + struct.pack(f">{t.dim()}I", *t.shape))
        f.write(t.contiguous().numpy().tobytes())


class Packed(nn.Module):
    """A PacGAN critic, as dcgan_mnist --pack N: groups of N images stacked as channels."""

    def __init__(self, critic, pack):
        super().__init__()
        self.critic, self.pack = critic, pack

    def forward(self, x):
        return self.critic(x.reshape(x.shape[0] // self.pack, self.pack, 28, 28))


def train(seconds, seed, pack):
    torch.manual_seed(seed)
    digits = read_idx_u8(os.path.join(ROOT, "data", "mnist10k-train-images.idx.gz"))
    reals = digits.float().div(127.5).sub(1).unsqueeze(1)  # [N, 1, 28, 28] in [-1, 1]
    g, d, z_shape, _ = dcgan28()
    if pack > 1:
        d[0] = nn.Conv2d(pack, 64, 4, 2, 1)
        d = Packed(d, pack)
    dcgan_init(g)
    dcgan_init(d)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(BATCH // pack, 1), torch.zeros(BATCH // pack, 1)

    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        order = torch.randperm(len(reals))
        for b in range(len(reals) // BATCH):
            real = reals[order[b * BATCH:(b + 1) * BATCH]]
            fake = g(torch.randn((BATCH,) + z_shape))
            opt_d.zero_grad(set_to_none=True)
            d_loss = bce(d(real), ones) + bce(d(fake.detach()), zeros)
            d_loss.backward()
            opt_d.step()
            opt_g.zero_grad(set_to_none=True)
            g_loss = bce(d(fake), ones)
            g_loss.backward()
            opt_g.step()
            steps += 1
            if time.perf_counter() - start >= seconds:
                break
        print(f"step {steps}: D {d_loss.item():.4f} G {g_loss.item():.4f}, {time.perf_counter() - start:.0f} s",
              flush=True)
    return g, steps, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, required=True, help="wall-clock training budget")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pack", type=int, default=1, help="the critic judges groups of this many images")
    ap.add_argument("--n", type=int, default=2000, help="digits to draw after training")
    ap.add_argument("--out", required=True, help="IDX file for the digits, uint8 [n, 28, 28]")
    a = ap.parse_args()
    if a.pack < 1 or BATCH % a.pack:
        ap.error(f"--pack {a.pack} must be at least 1 and divide the batch of {BATCH}")

    torch.set_num_threads(a.threads)
    blas = blas_info()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, BLAS: {blas['blas']} "
          f"{blas.get('blas_core', '')}", flush=True)
    g, steps, took = train(a.seconds, a.seed, a.pack)
    g.eval()
    with torch.no_grad():
        images = g(torch.randn(a.n, 100))
    write_idx_u8(a.out, images.add(1).mul(127.5).round().clamp(0, 255).to(torch.uint8).reshape(a.n, 28, 28))
    print(f"trained {steps} steps ({steps * BATCH / took:.0f} img/s) in {took:.0f} s; wrote {a.n} digits to {a.out}")


if __name__ == "__main__":
    main()
