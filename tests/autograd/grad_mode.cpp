#include "duel/autograd/grad_mode.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>

#include "duel/ops/arithmetic.hpp"
#include "test_util.hpp"

using duel::GradMode;
using duel::GradModeGuard;
using duel::NoGradGuard;
using namespace duel::test;

TEST_CASE("GradMode: on by default; guards nest and restore the previous mode") {
  CHECK(GradMode::is_enabled());
  {
    NoGradGuard outer;
    CHECK_FALSE(GradMode::is_enabled());
    {
      NoGradGuard inner;
      CHECK_FALSE(GradMode::is_enabled());
    }
    CHECK_FALSE(GradMode::is_enabled());  // the inner guard restores "off", not "on"
    {
      GradModeGuard on(true);
      CHECK(GradMode::is_enabled());
    }
    CHECK_FALSE(GradMode::is_enabled());
  }
  CHECK(GradMode::is_enabled());
}

TEST_CASE("GradMode: the flag is per thread") {
  NoGradGuard off;
  bool other_thread_enabled = false;
  std::thread t([&] { other_thread_enabled = GradMode::is_enabled(); });
  t.join();
  CHECK(other_thread_enabled);
  CHECK_FALSE(GradMode::is_enabled());
}

TEST_CASE("NoGradGuard: ops record nothing, even on inputs that require grad") {
  duel::Generator gen(1);
  duel::Var<double> x = rand_var({3}, gen);
  duel::Var<double> y;
  {
    NoGradGuard no_grad;
    y = x * x + 1.0;
  }
  CHECK_FALSE(y.requires_grad());
  CHECK(y.is_leaf());
  CHECK(std::string(y.op_name()).empty());
  CHECK_THROWS_WITH_AS(y.backward(duel::Var<double>(duel::ones<double>({3}))),
                       doctest::Contains("the output does not require grad"), duel::Error);
  CHECK((x * x).requires_grad());  // recording is back once the guard is gone
}
