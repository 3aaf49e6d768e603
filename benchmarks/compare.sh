#!/usr/bin/env bash
# Duel against its PyTorch twin: full GAN training iterations of each model at 1 and 2 threads,
# the two programs run in turn (Duel, twin, Duel, twin, ...) so that both meet the same machine
# load, then one Markdown table of the medians of their per-run medians.
#
#   benchmarks/compare.sh [--rounds 3] [--iters 30] [--warmup 5] [--models "mlp dcgan28 dcgan64"]
#                         [--threads "1 2"] [--dcgan64-1thread] [--keep-heap] [--build-dir DIR]
#
# dcgan64 runs only at 2 threads unless --dcgan64-1thread is given (one iteration takes seconds).
# --keep-heap runs both sides with glibc told to keep freed memory (GLIBC_TUNABLES below): page
# faults are slow on these VMs, and glibc otherwise hands large blocks back to the kernel after
# every iteration, which costs PyTorch up to 2-3x and Duel less.
# The twin runs without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, which these machines set to hold
# OpenBLAS to AVX2 kernels; Duel keeps the environment as it is.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=$root/build-bench
rounds=3 iters=30 warmup=5 models="mlp dcgan28 dcgan64" threads="1 2" dcgan64_one_thread=0
keep_heap=glibc.malloc.trim_threshold=4294967296:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=268435456

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --dcgan64-1thread) dcgan64_one_thread=1; shift ;;
    --keep-heap) export GLIBC_TUNABLES=$keep_heap; shift ;;
    --build-dir) build=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

twin_env=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)

# ---- the twin needs PyTorch, and OpenBLAS to be a fair opponent
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  cat >&2 <<'EOF'
compare.sh: /usr/bin/python3 cannot import torch. Install PyTorch and OpenBLAS (without OpenBLAS,
Debian's torch falls back to the reference BLAS and runs 4-10x slower):
    apt-get install -y python3-torch libopenblas0-openmp
EOF
  exit 1
fi
loud_warning() {
  printf '\n%s\n' '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' >&2
  printf '!!! %s\n' "$@" >&2
  printf '%s\n\n' '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!' >&2
}
blas=$("${twin_env[@]}" /usr/bin/python3 -c "import sys; sys.path.insert(0, '$here/pytorch'); import twin; \
b = twin.blas_info(); print(('REFERENCE ' if b['blas_is_reference'] else '') + b['blas'] + ' ' + b.get('blas_core', ''))")
if [[ $blas == REFERENCE* ]]; then
  loud_warning "PyTorch runs on the REFERENCE BLAS: its times below are 4-10x too slow and the" \
               "comparison is unfair to it. Fix: apt-get install -y libopenblas0-openmp"
fi

# ---- Duel's benchmark, built when missing or out of date
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDUEL_BUILD_TESTS=OFF -DDUEL_BUILD_EXAMPLES=OFF >/dev/null
fi
cmake --build "$build" --target bench_gan_step bench_threads -j2 >/dev/null
bench=$build/benchmarks/bench_gan_step
# How long a cache line takes between two threads: this VM's two-thread speed follows it
# (docs/performance.md, "Two threads and the machine's phases").
round_trip() {
  { "$build/benchmarks/bench_threads" --rounds 3 2>/dev/null || true; } | sed -n 's/.*"round_trip_ns": \([0-9]*\).*/\1 ns/p'
}

# ---- the runs, in turn
results=$(mktemp -d /tmp/duel-compare.XXXXXX)
echo "PyTorch's BLAS: $blas; GLIBC_TUNABLES=${GLIBC_TUNABLES:-}; load at start: $(uptime | sed 's/.*load average/load average/');" \
     "threads' round trip: $(round_trip)" >&2
for model in $models; do
  for t in $threads; do
    [[ $model == dcgan64 && $t == 1 && $dcgan64_one_thread == 0 ]] && continue
    for ((r = 1; r <= rounds; r++)); do
      echo "$model, $t thread(s), round $r/$rounds: Duel, then PyTorch" >&2
      # A failed run is reported and left out of the table; the other runs go on.
      { OMP_NUM_THREADS=$t "$bench" --model "$model" --threads "$t" --warmup "$warmup" --iters "$iters" ||
          echo "compare.sh: bench_gan_step failed on $model at $t thread(s)" >&2; } |
        sed -n 's/^RESULT //p' >>"$results/$model-$t-duel.jsonl"
      { "${twin_env[@]}" OMP_NUM_THREADS="$t" /usr/bin/python3 "$here/pytorch/twin.py" --model "$model" --threads "$t" \
          --warmup "$warmup" --iters "$iters" || echo "compare.sh: twin.py failed on $model at $t thread(s)" >&2; } |
        sed -n 's/^RESULT //p' >>"$results/$model-$t-twin.jsonl"
    done
  done
done
echo "load at end: $(uptime | sed 's/.*load average/load average/'); threads' round trip: $(round_trip);" \
     "RESULT lines kept in $results" >&2

# ---- the table
/usr/bin/python3 - "$results" "$models" "$threads" <<'EOF'
import json, statistics, sys
from pathlib import Path

results, models, threads = Path(sys.argv[1]), sys.argv[2].split(), sys.argv[3].split()
print("| model | threads | Duel median ms | PyTorch median ms | Duel / PyTorch | Duel GFLOP/s | PyTorch GFLOP/s "
      "| Duel peak RSS MiB | PyTorch peak RSS MiB | CPU ms/iter Duel / PyTorch |")
print("|---|---|---|---|---|---|---|---|---|---|")
notes, reference_blas = [], False
for model in models:
    for t in threads:
        runs = {side: [json.loads(l) for l in (results / f"{model}-{t}-{side}.jsonl").read_text().splitlines()]
                for side in ("duel", "twin") if (results / f"{model}-{t}-{side}.jsonl").exists()}
        if not runs:
            continue  # not run (dcgan64 at 1 thread without --dcgan64-1thread)
        if not runs.get("duel") or not runs.get("twin"):
            print(f"| {model} | {t} | " + " | ".join(["no result (see the messages above)"] + [""] * 7) + " |")
            continue
        med = {s: statistics.median(r["median_ms"] for r in v) for s, v in runs.items()}
        rss = {s: statistics.median(r["peak_rss_mib"] for r in v) for s, v in runs.items()}
        cpu = {s: statistics.median(r["cpu_ms_per_iter"] for r in v) for s, v in runs.items()}
        gflops = {s: 2 * v[0]["macs_per_iter"] / med[s] / 1e6 for s, v in runs.items()}
        print(f"| {model} | {t} | {med['duel']:.1f} | {med['twin']:.1f} | {med['duel'] / med['twin']:.2f} "
              f"| {gflops['duel']:.1f} | {gflops['twin']:.1f} | {rss['duel']:.0f} | {rss['twin']:.0f} "
              f"| {cpu['duel']:.1f} / {cpu['twin']:.1f} |")
        notes.append(f"{model} x{t}: per-run medians Duel " + ", ".join(f"{r['median_ms']:.1f}" for r in runs["duel"]) +
                     "; PyTorch " + ", ".join(f"{r['median_ms']:.1f}" for r in runs["twin"]))
        notes += [f"{model}: {r['problem']}" for r in runs["duel"][:1] if "problem" in r]
        reference_blas = reference_blas or any(r.get("blas_is_reference") for r in runs["twin"])
print("\nGFLOP/s count the twin's multiply-adds for both sides (2 FLOP per MAC); Duel skips D's weight "
      "gradients in the G step, so it does less work than that count says. CPU ms/iter is the process's CPU "
      "time over all threads: at 1 thread a steadier figure than the wall clock on a loaded machine, at 2 "
      "it also counts OpenMP threads spinning.")
for n in notes:
    print("- " + n)
if reference_blas:
    print("\n**WARNING: PyTorch ran on the reference BLAS; its times are 4-10x too slow.**")
EOF
