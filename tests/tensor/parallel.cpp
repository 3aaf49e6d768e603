#include "duel/tensor/parallel.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "test_util.hpp"

using namespace duel::test;

namespace {

// Runs parallel_for over [begin, end) and counts the visits of every index and the chunks.
struct Coverage {
  std::vector<std::atomic<int>> visits;
  std::atomic<int> chunks{0};
  bool out_of_range = false;

  Coverage(std::int64_t begin, std::int64_t end, std::int64_t grain) : visits(static_cast<std::size_t>(std::max<std::int64_t>(end - begin, 0))) {
    std::atomic<bool> bad{false};
    duel::parallel_for(begin, end, grain, [&](std::int64_t lo, std::int64_t hi) {
      ++chunks;
      if (lo < begin || hi > end || lo >= hi) bad = true;
      for (std::int64_t i = lo; i < hi && !bad; ++i) ++visits[static_cast<std::size_t>(i - begin)];
    });
    out_of_range = bad;
  }

  bool each_once() const {
    for (const auto& v : visits) {
      if (v != 1) return false;
    }
    return true;
  }
};

}  // namespace

TEST_CASE("set_num_threads / get_num_threads") {
  ThreadCountGuard guard;
  duel::set_num_threads(2);
#ifdef _OPENMP
  CHECK(duel::get_num_threads() == 2);
  duel::set_num_threads(0);  // clamped to one thread
  CHECK(duel::get_num_threads() == 1);
#else
  CHECK(duel::get_num_threads() == 1);
#endif
}

TEST_CASE("parallel_for covers the range exactly once for any grain and thread count") {
  ThreadCountGuard guard;
  const std::vector<std::pair<std::int64_t, std::int64_t>> ranges{{0, 1000}, {-10, 10}, {3, 4}, {0, 1}, {5, 5}, {7, 2}, {0, 1 << 16}};
  for (int threads : {1, 2, 3, 4}) {
    duel::set_num_threads(threads);
    for (std::int64_t grain : {-5, 0, 1, 7, 64, 1000, 100000}) {
      for (const auto& range : ranges) {
        const std::int64_t begin = range.first, end = range.second;
        CAPTURE(threads);
        CAPTURE(grain);
        CAPTURE(begin);
        CAPTURE(end);
        Coverage c(begin, end, grain);
        CHECK_FALSE(c.out_of_range);
        CHECK(c.each_once());
        if (end <= begin) CHECK(c.chunks == 0);
        if (end - begin < 2 * std::max<std::int64_t>(grain, 1) && end > begin) CHECK(c.chunks == 1);  // too small to split
        CHECK(c.chunks <= threads);
      }
    }
  }
}

TEST_CASE("parallel_for inside parallel_for runs the inner loop serially and still covers it") {
  ThreadCountGuard guard;
  duel::set_num_threads(2);
  std::vector<std::atomic<int>> visits(100 * 100);
  duel::parallel_for(0, 100, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t i = lo; i < hi; ++i) {
      duel::parallel_for(0, 100, 1, [&](std::int64_t a, std::int64_t b) {
        for (std::int64_t j = a; j < b; ++j) ++visits[static_cast<std::size_t>(i * 100 + j)];
      });
    }
  });
  bool once = true;
  for (const auto& v : visits) once = once && v == 1;
  CHECK(once);
}

TEST_CASE("parallel_blocks covers [0, n) once, in blocks that start at multiples of the block size") {
  ThreadCountGuard guard;
  for (int threads : {1, 2, 3}) {
    duel::set_num_threads(threads);
    for (std::int64_t n : {0, 1, 100, 1000, 4097}) {
      CAPTURE(threads);
      CAPTURE(n);
      std::vector<std::atomic<int>> visits(static_cast<std::size_t>(n));
      std::atomic<bool> misplaced{false};
      duel::parallel_blocks(n, 100, 2, [&](std::int64_t start, std::int64_t length) {
        if (start % 100 != 0 || length != std::min<std::int64_t>(100, n - start)) misplaced = true;
        for (std::int64_t i = start; i < start + length; ++i) ++visits[static_cast<std::size_t>(i)];
      });
      CHECK_FALSE(misplaced);
      CHECK(std::all_of(visits.begin(), visits.end(), [](const std::atomic<int>& v) { return v == 1; }));
    }
  }
}

TEST_CASE("grain_for: at least 32K numbers per thread, and at least one item") {
  CHECK(duel::grain_for(1) == 32768);
  CHECK(duel::grain_for(196) == 167);
  CHECK(duel::grain_for(1 << 15) == 1);
  CHECK(duel::grain_for(1 << 20) == 1);
  CHECK(duel::grain_for(0) == 32768);  // empty items: as if one number each
}
