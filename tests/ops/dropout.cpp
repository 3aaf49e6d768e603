#include "duel/ops/dropout.hpp"

#include <doctest/doctest.h>

#include <algorithm>

#include "duel/ops/reduce.hpp"
#include "test_util.hpp"

using duel::Var;

// With a Generator made afresh on every call, the mask is the same each time: dropout is then a
// fixed linear map, and finite differences see the same function as backward.
TEST_CASE("dropout: gradcheck and gradgradcheck with a fixed mask") {
  duel::Generator gen(601);
  duel::test::check_gradients(
      [](const auto& v) {
        duel::Generator mask(7);
        return duel::dropout(v[0], 0.3, true, mask);
      },
      {duel::test::rand_var({4, 5}, gen)});
}

TEST_CASE("dropout: zeroes about p of the elements and scales the rest by 1 / (1 - p)") {
  duel::Generator gen(602);
  const Var<double> x(duel::ones<double>({100000}));
  const Var<double> y = duel::dropout(x, 0.25, true, gen);
  const auto zeros = std::count(y.value().begin(), y.value().end(), 0.0);
  const auto kept = std::count(y.value().begin(), y.value().end(), 1 / 0.75);
  CHECK(zeros + kept == 100000);
  CHECK(static_cast<double>(zeros) / 100000 == doctest::Approx(0.25).epsilon(0.02));
  CHECK(duel::mean(y).item() == doctest::Approx(1).epsilon(0.01));  // the expected value is unchanged
}

TEST_CASE("dropout: the identity in evaluation or with p = 0, zero with p = 1, reproducible with a seed") {
  duel::Generator gen(603);
  const Var<double> x = duel::test::rand_var({3, 4}, gen);
  CHECK(duel::dropout(x, 0.5, false).value().data() == x.value().data());
  CHECK(duel::dropout(x, 0.0).value().data() == x.value().data());
  duel::test::check_all_equal(duel::dropout(x, 1.0).value(), 0.0);
  duel::Generator a(9), b(9);
  CHECK(duel::allclose(duel::dropout(x, 0.5, true, a).value(), duel::dropout(x, 0.5, true, b).value(), 0, 0));
  CHECK_THROWS_WITH_AS(duel::dropout(x, 1.5), "dropout: probability must be in [0, 1], got 1.5", duel::ValueError);
}
