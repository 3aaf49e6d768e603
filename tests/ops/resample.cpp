#include "duel/ops/resample.hpp"

#include <doctest/doctest.h>

#include "fixtures.hpp"
#include "test_util.hpp"

using duel::Var;
namespace fx = duel::fixtures;

TEST_CASE_TEMPLATE("upsample_nearest2d matches PyTorch on every fixture case", T, float, double) {
  fx::for_each_case("upsample_nearest2d", [](const fx::Case& c) {
    const duel::Size2 scale = c.size2("scale");
    if (scale.h != scale.w) {
      MESSAGE(c.id() << " skipped: Duel upsamples both dims by one integer scale, not " << scale.h << "x" << scale.w);
      return;
    }
    fx::check_op<T>(c, {"x"}, [&](const fx::Inputs<T>& in) { return duel::upsample_nearest2d(in["x"], scale.h); });
  });
}

TEST_CASE_TEMPLATE("pad2d matches PyTorch on every fixture case", T, float, double) {
  fx::for_each_case("pad2d", [](const fx::Case& c) {
    const std::vector<duel::index_t> p = c.integers("pad");  // PyTorch's order: left, right, top, bottom
    REQUIRE(p.size() == 4);
    fx::check_op<T>(c, {"x"}, [&](const fx::Inputs<T>& in) { return duel::pad2d(in["x"], {p[0], p[1], p[2], p[3]}); });
  });
}

TEST_CASE("upsample_nearest2d and pad2d: gradcheck and gradgradcheck") {
  duel::Generator gen(301);
  const Var<double> x = duel::test::rand_var({2, 2, 3, 2}, gen);
  for (duel::index_t scale : {1, 2, 3}) {
    duel::test::check_gradients([scale](const auto& v) { return duel::upsample_nearest2d(v[0], scale); }, {x});
  }
  duel::test::check_gradients([](const auto& v) { return duel::pad2d(v[0], {1, 2, 0, 1}); }, {x});
  duel::test::check_gradients([](const auto& v) { return duel::pad2d(v[0], {0, 0, 2, 0}); },
                              {duel::test::rand_var({3, 2, 4}, gen)});  // any rank >= 2 pads its last two dims
}

TEST_CASE("upsample_nearest2d and pad2d: bad arguments say what is wrong") {
  const Var<double> x(duel::zeros<double>({1, 1, 2, 2}));
  CHECK_THROWS_WITH_AS(duel::upsample_nearest2d(x, 0), "upsample_nearest2d: scale must be >= 1, got 0", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::upsample_nearest2d(Var<double>(duel::zeros<double>({2, 2}))),
                       "upsample_nearest2d: input must be [N, C, H, W], got [2,2]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::pad2d(x, {1, -1, 0, 0}), "pad2d: pads must be >= 0, got (1,-1,0,0)", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::pad2d(Var<double>(duel::zeros<double>({3})), {1, 1, 1, 1}),
                       "pad2d: input needs at least 2 dims, got [3]", duel::ShapeError);
}
