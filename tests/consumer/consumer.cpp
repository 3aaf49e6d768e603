// The program both consumer projects build (CONSUMER names which): differentiates
// y = sum(x tanh x), in float and in double, and compares dy/dx with the closed form
// d/dx[x tanh x] = tanh x + x (1 - tanh^2 x). Exits non-zero on a mismatch.
#include <duel/duel.hpp>

#include <cmath>
#include <cstdio>

template <class T>
int mismatches(double tolerance) {
  duel::Var<T> x(duel::from_vector<T>({1, 2, 3}), true);
  auto y = duel::sum(duel::tanh(x) * x);
  y.backward();

  int wrong = 0;
  for (duel::index_t i = 0; i < x.numel(); ++i) {
    const double v = static_cast<double>(x.value()(i));
    const double t = std::tanh(v);
    const double expected = t + v * (1 - t * t);
    const double got = static_cast<double>(x.grad().value()(i));
    if (std::abs(got - expected) > tolerance) {
      std::fprintf(stderr, "x = %g: dy/dx = %.12g, expected %.12g\n", v, got, expected);
      ++wrong;
    }
  }
  return wrong;
}

int main() {
  const int wrong = mismatches<float>(1e-5) + mismatches<double>(1e-12);
  std::printf("%s consumer: %s\n", CONSUMER, wrong == 0 ? "ok" : "FAILED");
  return wrong == 0 ? 0 : 1;
}
