#include "duel/tensor/random.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include "duel/tensor/factories.hpp"
#include "duel/tensor/parallel.hpp"
#include "test_util.hpp"

using duel::Generator;
using duel::Tensor;
using namespace duel::test;

namespace {

bool same_values(const Tensor<double>& a, const Tensor<double>& b) { return std::equal(a.begin(), a.end(), b.begin(), b.end()); }

}  // namespace

TEST_CASE("Generator: the same seed gives the same numbers, another seed others") {
  Generator a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const double x = a.next_uniform();
    CHECK(x == b.next_uniform());
    CHECK(x != c.next_uniform());
  }
  a.manual_seed(42);
  b.manual_seed(42);
  CHECK(a.next_normal() == b.next_normal());
  CHECK(a.seed() == 42);
  CHECK(a.bits(5) == Generator(42).bits(5));  // a pure function of (seed, counter)
}

TEST_CASE("Generator: randn of a large tensor does not depend on the thread count") {
  ThreadCountGuard guard;
  const duel::Shape shape{1 << 17};  // well above 2 * grain, so two threads really split it
  duel::set_num_threads(1);
  Generator g1(7);
  Tensor<double> serial = duel::randn<double>(shape, g1);
  Tensor<double> serial_u = duel::rand<double>(shape, g1);
  duel::set_num_threads(2);
  Generator g2(7);
  Tensor<double> parallel = duel::randn<double>(shape, g2);
  Tensor<double> parallel_u = duel::rand<double>(shape, g2);
  CHECK(same_values(serial, parallel));
  CHECK(same_values(serial_u, parallel_u));
  CHECK(g1.state() == g2.state());
}

TEST_CASE("Generator: state() and set_state() resume the exact stream") {
  Generator g(123);
  duel::randn<double>({10}, g);
  g.next_uniform();
  const Generator::State saved = g.state();
  Tensor<double> first = duel::randn<double>({50}, g);
  const double u = g.next_uniform();
  const auto k = g.next_below(1000);

  Generator resumed(999);  // another seed entirely: the state carries the seed
  resumed.set_state(saved);
  CHECK(same_values(duel::randn<double>({50}, resumed), first));
  CHECK(resumed.next_uniform() == u);
  CHECK(resumed.next_below(1000) == k);
  CHECK(resumed.state() == g.state());
}

TEST_CASE("Generator: normal and uniform draws never reuse a counter") {
  // Box-Muller reads two counters per normal; a uniform drawn next must not read one of them,
  // or it would be a function of the normals just drawn (randn for z, then rand for a mixing weight).
  Generator g(3);
  Tensor<double> z = duel::randn<double>({1000}, g);
  Tensor<double> u = duel::rand<double>({1000}, g);
  std::set<double> used;
  for (std::uint64_t k = 0; k < 2000; ++k) used.insert(g.uniform(k));
  CHECK(std::none_of(u.begin(), u.end(), [&](double v) { return used.count(v) != 0; }));

  Generator s(3);
  const double n = s.next_normal();
  const double next = s.next_uniform();
  CHECK(next != s.uniform(0));
  CHECK(next != s.uniform(1));
  CHECK(n == Generator(3).next_normal());
}

TEST_CASE("Generator: uniform lies in [0, 1) and normal has mean 0, variance 1") {
  Generator g(2024);
  const int n = 100000;
  double lo = 1, hi = 0, sum = 0, sum_sq = 0;
  for (int i = 0; i < n; ++i) {
    const double u = g.next_uniform();
    lo = std::min(lo, u);
    hi = std::max(hi, u);
    const double z = g.next_normal();
    sum += z;
    sum_sq += z * z;
  }
  CHECK(lo >= 0);
  CHECK(hi < 1);
  CHECK(lo < 1e-3);
  CHECK(hi > 1 - 1e-3);
  const double mean = sum / n, var = sum_sq / n - mean * mean;
  CHECK(std::abs(mean) < 0.02);  // the standard error is 1 / sqrt(1e5) ~ 0.003
  CHECK(std::abs(var - 1) < 0.03);
}

TEST_CASE("Generator: next_below is uniform over [0, n)") {
  Generator g(11);
  std::array<int, 6> counts{};
  const int draws = 60000;
  for (int i = 0; i < draws; ++i) {
    const auto r = g.next_below(6);
    REQUIRE(r < 6);
    ++counts[r];
  }
  for (int c : counts) CHECK(std::abs(c - draws / 6) < 500);  // the standard deviation is ~91

  CHECK(g.next_below(1) == 0);
  const std::uint64_t big = (std::uint64_t{1} << 63) + 12345;  // rejection happens about half the time
  for (int i = 0; i < 100; ++i) CHECK(g.next_below(big) < big);
  CHECK_THROWS_AS(g.next_below(0), duel::ValueError);
}

TEST_CASE("default_generator: manual_seed makes it reproducible") {
  duel::manual_seed(5);
  Tensor<double> a = duel::randn<double>({20});
  Generator own(5);
  CHECK(same_values(a, duel::randn<double>({20}, own)));
  duel::manual_seed(5);
  CHECK(same_values(a, duel::randn<double>({20})));
  CHECK(duel::default_generator().seed() == 5);
}
