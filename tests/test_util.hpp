// Helpers shared by the tests: random Vars, tensor comparisons with readable failures, and the
// "gradcheck and gradgradcheck both pass" check that every differentiable op goes through.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "duel/autograd.hpp"

namespace duel::test {

// The inputs of a function under gradcheck.
using Inputs = std::vector<Var<double>>;

// A double Var with values uniform in [lo, hi), requiring grad unless told otherwise.
inline Var<double> rand_var(const Shape& shape, Generator& gen, double lo = -1, double hi = 1, bool requires_grad = true) {
  Tensor<double> t = Tensor<double>::empty(shape);
  uniform_(t, lo, hi, gen);
  return Var<double>(std::move(t), requires_grad);
}

// Like rand_var, but |value| in [lo, hi) with a random sign: inputs kept away from a kink at 0.
inline Var<double> rand_away_from_zero(const Shape& shape, Generator& gen, double lo = 0.2, double hi = 1) {
  Var<double> v = rand_var(shape, gen, lo, hi);
  for (double& x : v.value()) x = gen.next_uniform() < 0.5 ? -x : x;
  return v;
}

// A Var holding the given values in the given shape.
template <class T = double>
Var<T> var_of(const std::vector<T>& values, const Shape& shape, bool requires_grad = true) {
  return Var<T>(from_vector(values, shape), requires_grad);
}

// Restores the thread count when a test that changes it ends, even by a failed REQUIRE.
struct ThreadCountGuard {
  int saved = get_num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

// The offset in x (row-major) of the element that broadcasting reads for element `flat` of out.
inline index_t broadcast_offset(const Shape& out, const Shape& x, index_t flat) {
  index_t offset = 0, stride = 1;
  for (int d = out.rank() - 1; d >= 0; --d) {
    const index_t i = flat % out[d];
    flat /= out[d];
    const int dx = x.rank() - out.rank() + d;
    if (dx < 0) continue;
    if (x[dx] != 1) offset += i * stride;
    stride *= x[dx];
  }
  return offset;
}

// A random shape of rank 0..4 with sizes 1..4, and a second one that broadcasts with it: a suffix
// of the first (so ranks differ) with some sizes turned to 1, and some of the first's turned to 1.
inline std::pair<Shape, Shape> random_broadcast_pair(Generator& gen) {
  Shape full;
  const auto rank = static_cast<int>(gen.next_below(5));
  for (int d = 0; d < rank; ++d) full.push_back(static_cast<index_t>(1 + gen.next_below(4)));
  Shape a, b;
  const int rank_b = rank - static_cast<int>(gen.next_below(static_cast<std::uint64_t>(rank) + 1));
  for (int d = 0; d < rank; ++d) {
    const bool a_one = gen.next_below(3) == 0, b_one = !a_one && gen.next_below(3) == 0;
    a.push_back(a_one ? 1 : full[d]);
    if (d >= rank - rank_b) b.push_back(b_one ? 1 : full[d]);
  }
  if (gen.next_below(2) == 0) std::swap(a, b);
  return {a, b};
}

// Calls check(a, b, gen) for many random pairs of shapes that broadcast together.
template <class F>
void for_random_broadcast_pairs(std::uint64_t seed, F check) {
  Generator gen(seed);
  for (int trial = 0; trial < 300; ++trial) {
    Shape a, b;
    std::tie(a, b) = random_broadcast_pair(gen);
    CAPTURE(a);
    CAPTURE(b);
    check(a, b, gen);
  }
}

// The shape pairs every broadcasting op is checked on: rank differences, size-1 dims, scalars.
inline std::vector<std::pair<Shape, Shape>> broadcast_cases() {
  return {{{2, 3}, {2, 3}}, {{3, 1, 4}, {2, 4}}, {{5}, {3, 5}}, {{3, 5}, {5}}, {{2, 3}, {}}, {{}, {4}}, {{2, 1}, {1, 3}}};
}

// A tensor holding 0, 1, 2, ... in row-major order.
template <class T = float>
Tensor<T> counting(const Shape& shape) {
  Tensor<T> t = Tensor<T>::empty(shape);
  std::iota(t.begin(), t.end(), T(0));
  return t;
}

// A tensor of the given shape holding small random integers (exact in sums and products).
inline Tensor<double> random_integers(const Shape& shape, Generator& gen) {
  Tensor<double> t = Tensor<double>::empty(shape);
  for (double& v : t) v = static_cast<double>(gen.next_below(19)) - 9;
  return t;
}

template <class T>
std::string str(const Tensor<T>& t) {
  std::ostringstream s;
  s.precision(17);
  s << t.shape() << " {";
  for (index_t i = 0; i < t.numel(); ++i) s << (i ? ", " : "") << static_cast<double>(t.data()[i]);
  return s.str() + "}";
}

// CHECKs that two tensors have the same shape and close values, printing both when they do not.
template <class T>
void check_close(const Tensor<T>& actual, const Tensor<T>& expected, double rtol = 1e-10, double atol = 1e-12) {
  INFO("actual:   ", str(actual));
  INFO("expected: ", str(expected));
  CHECK(allclose(actual, expected, rtol, atol));
}

template <class T>
void check_close(const Var<T>& actual, const std::vector<T>& expected, double rtol = 1e-10, double atol = 1e-12) {
  check_close(actual.value(), from_vector(expected, actual.shape()), rtol, atol);
}

// CHECKs that every element of t equals value.
template <class T>
void check_all_equal(const Tensor<T>& t, T value) {
  INFO("tensor: ", str(t), " expected every element to be ", value);
  CHECK(std::all_of(t.begin(), t.end(), [value](T v) { return v == value; }));
}

// CHECKs that first and second derivatives of f agree with finite differences.
inline void check_gradients(const GradcheckFn& f, const std::vector<Var<double>>& inputs, const GradcheckOptions& opt = {}) {
  for (bool second_order : {false, true}) {
    GradcheckResult r = second_order ? gradgradcheck(f, inputs, opt) : gradcheck(f, inputs, opt);
    INFO(r.report);
    CHECK(r.passed);
  }
}

}  // namespace duel::test
