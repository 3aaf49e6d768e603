// Random numbers that do not depend on the number of threads.
//
// Generator is counter-based: the k-th number it ever produces is a pure function of (seed, k),
// namely SplitMix64 at position k. Filling a tensor therefore gives the same values whether one
// thread fills it or eight, and the whole state is two integers (seed, offset), which a checkpoint
// stores so that a resumed run draws exactly the numbers an uninterrupted run would have drawn.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

#include "duel/tensor/error.hpp"

namespace duel {

class Generator {
 public:
  struct State {
    std::uint64_t seed = 0;
    std::uint64_t offset = 0;
    friend bool operator==(const State&, const State&) = default;
  };

  explicit Generator(std::uint64_t seed = 0) : state_{seed, 0} {}

  void manual_seed(std::uint64_t seed) { state_ = {seed, 0}; }
  std::uint64_t seed() const { return state_.seed; }
  State state() const { return state_; }
  void set_state(State s) { state_ = s; }

  // Reserves n consecutive counters and returns the first; draw_* below read counters directly,
  // so a parallel loop can fill element i from counter first + i.
  std::uint64_t reserve(std::uint64_t n) {
    std::uint64_t first = state_.offset;
    state_.offset += n;
    return first;
  }

  // 64 random bits for counter k: SplitMix64's output function applied to its k-th state.
  std::uint64_t bits(std::uint64_t k) const {
    std::uint64_t z = (state_.seed ^ 0x6a09e667f3bcc909ULL) + (k + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform(std::uint64_t k) const { return static_cast<double>(bits(k) >> 11) * 0x1.0p-53; }

  // Standard normal from the two counters k and k + 1 by the Box-Muller transform. Callers reserve
  // two counters per normal, so that a later uniform draw never reuses one of them (and is then
  // not a function of the normals drawn before it).
  double normal(std::uint64_t k) const {
    double u1 = 1.0 - uniform(k);  // in (0, 1], so log(u1) is finite
    double u2 = uniform(k + 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

  // Sequential draws, for code that wants one number at a time.
  double next_uniform() { return uniform(reserve(1)); }
  double next_normal() { return normal(reserve(2)); }
  // Uniform integer in [0, n) (n > 0), by rejection so that every value is equally likely.
  std::uint64_t next_below(std::uint64_t n) {
    if (n == 0) throw ValueError("next_below: the range [0, 0) is empty");
    std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
      std::uint64_t r = bits(reserve(1));
      if (r < limit) return r % n;
    }
  }

 private:
  State state_;
};

// The generator used when none is passed explicitly.
inline Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

// Seeds the default generator, as torch.manual_seed does.
inline void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace duel
