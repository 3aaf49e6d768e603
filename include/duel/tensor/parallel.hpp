// Threads: how many to use, and a parallel loop over independent pieces of work.
//
// With OpenMP (linked by CMake when it is found), parallel_for splits [begin, end) into contiguous
// chunks, one per thread; without it, the loop runs serially. Work must be split so that every
// output element is computed by one thread in a fixed order, which keeps results independent of
// the thread count.
#pragma once

#include <Eigen/Core>
#include <algorithm>
#include <cstdint>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace duel {

inline int get_num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

// Sets the threads used by Duel's loops and by Eigen's matrix products.
inline void set_num_threads(int n) {
  n = std::max(n, 1);
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
  Eigen::setNbThreads(n);
}

// Calls body(lo, hi) on disjoint chunks covering [begin, end). Serial when the range holds fewer
// than 2 * grain items, so that tiny loops do not pay for waking threads.
template <class Body>
void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain, const Body& body) {
  std::int64_t n = end - begin;
  if (n <= 0) return;
#ifdef _OPENMP
  int threads = static_cast<int>(std::min<std::int64_t>(get_num_threads(), n / std::max<std::int64_t>(grain, 1)));
  if (threads > 1 && !omp_in_parallel()) {
#pragma omp parallel num_threads(threads)
    {
      std::int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
      std::int64_t lo = begin + n * t / nt, hi = begin + n * (t + 1) / nt;
      if (lo < hi) body(lo, hi);
    }
    return;
  }
#endif
  (void)grain;
  body(begin, end);
}

// The grain for parallel_for over items of `numbers` numbers each, in a memory-bound loop (copies,
// sums): at least 32K numbers per thread, below which waking a thread costs more than it saves.
inline std::int64_t grain_for(std::int64_t numbers) {
  return std::max<std::int64_t>(1, (std::int64_t(1) << 15) / std::max<std::int64_t>(numbers, 1));
}

// Calls body(start, length) on the consecutive blocks of [0, n) of `block` elements, split over
// the threads once there are min_blocks blocks or more per thread. Blocks start at multiples of
// `block` whatever the thread count: Eigen takes an unaligned head one number at a time and the
// rest in SIMD packets, whose results (a square root, an exp) may differ in the last bit, so
// results stay the same for any thread count only if the blocks never move.
template <class Body>
void parallel_blocks(std::int64_t n, std::int64_t block, std::int64_t min_blocks, const Body& body) {
  parallel_for(0, (n + block - 1) / block, min_blocks, [&](std::int64_t first, std::int64_t last) {
    for (std::int64_t start = first * block; start < std::min(n, last * block); start += block) {
      body(start, std::min(block, n - start));
    }
  });
}

}  // namespace duel
