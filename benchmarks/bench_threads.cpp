// bench_threads: what it costs two threads to work together on this machine, the figures that
// decide how well a training iteration scales from one thread to two.
//
//   fork/join    an empty parallel_for over two threads: the price of each of an iteration's
//                parallel loops before any work is done
//   round trip   one cache line passed from thread to thread and back: how fast data one thread
//                writes reaches the other. Two cores that share an L3 pass it in under 100 ns;
//                on the CI machine's VM it took 80-89 ns in its fast phase and 330-380 ns in its
//                slow one, when dcgan28 scaled 1.8x and 1.4x (docs/performance.md)
//
// Prints one line per figure and a RESULT line of JSON. Needs OpenMP and two threads.
#include <atomic>
#include <cstdio>

#include "bench_common.hpp"

namespace {

// Microseconds per empty two-thread parallel_for, over `count` of them.
double fork_join_us(int count) {
  std::atomic<std::int64_t> sink{0};
  const double start = bench::now_ms();
  for (int i = 0; i < count; ++i) duel::parallel_for(0, 2, 1, [&](std::int64_t lo, std::int64_t) { sink += lo; });
  return (bench::now_ms() - start) * 1e3 / count;
}

// Nanoseconds per round trip of a counter between two threads, over `count` round trips.
double round_trip_ns(int count) {
  alignas(64) std::atomic<int> turn{0};
  double elapsed = 0;
  duel::parallel_for(0, 2, 1, [&](std::int64_t lo, std::int64_t) {
    const int me = lo == 0 ? 0 : 1;
    const double start = bench::now_ms();
    for (int i = 0; i < count; ++i) {
      while (turn.load(std::memory_order_acquire) != 2 * i + me) {
      }
      turn.store(2 * i + me + 1, std::memory_order_release);
    }
    if (me == 0) elapsed = bench::now_ms() - start;
  });
  return elapsed * 1e6 / count;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, "usage: bench_threads [--rounds 5]\n\nTimes fork/join and a cache line's round trip between two threads.\n",
                           {"--rounds"});
  const int rounds = flags.integer("--rounds", 5, 1);
  duel::set_num_threads(2);
  if (duel::get_num_threads() < 2) {
    std::fprintf(stderr, "bench_threads: needs OpenMP and two threads\n");
    return 1;
  }
  std::vector<double> fork_join, round_trip;
  for (int r = 0; r < rounds; ++r) {
    fork_join.push_back(fork_join_us(20000));
    round_trip.push_back(round_trip_ns(100000));
  }
  const bench::Summary f = bench::summarize(fork_join), t = bench::summarize(round_trip);
  std::printf("fork/join of two threads: %.2f us (median of %d rounds)\n", f.median, rounds);
  std::printf("round trip of a cache line between them: %.0f ns (min %.0f, max %.0f)\n", t.median, t.min, t.max);
  bench::JsonLine j;
  j.field("program", "bench_threads").field("rounds", rounds).field("fork_join_us", f.median).field("round_trip_ns", t.median);
  std::printf("RESULT %s\n", j.str().c_str());
}
