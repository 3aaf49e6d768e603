#include "duel/ops/pool.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <utility>

#include "fixtures.hpp"
#include "test_util.hpp"

using duel::Pool2dOptions;
using duel::Var;
namespace fx = duel::fixtures;

namespace {

// The case's window settings; false (with a MESSAGE) for ceil_mode, which Duel does not have.
bool pool_options(const fx::Case& c, Pool2dOptions& opt) {
  if (c.flag("ceil_mode")) {
    MESSAGE(c.id() << " skipped: Duel's pooling has no ceil_mode");
    return false;
  }
  opt.kernel_size = c.size2("kernel");
  opt.stride = c.size2("stride");
  opt.padding = c.size2("padding");
  if (c.has_param("dilation")) opt.dilation = c.size2("dilation");
  if (c.has_param("count_include_pad")) opt.count_include_pad = c.flag("count_include_pad");
  return true;
}

template <class T, class Pool>
void check_pool_family(const std::string& family, Pool pool) {
  fx::for_each_case(family, [&](const fx::Case& c) {
    Pool2dOptions opt;
    if (!pool_options(c, opt)) return;
    fx::check_op<T>(c, {"x"}, [&](const fx::Inputs<T>& in) { return pool(in["x"], opt); });
  });
}

// Values 0.1 apart in a random order: no window holds a tie, and the gaps dwarf the
// finite-difference step, so the argmax never moves during gradcheck.
Var<double> distinct_var(const duel::Shape& shape, duel::Generator& gen) {
  duel::Tensor<double> t = duel::Tensor<double>::empty(shape);
  const duel::index_t n = t.numel();
  for (duel::index_t i = 0; i < n; ++i) t.data()[i] = 0.1 * static_cast<double>(i - n / 2);
  for (duel::index_t i = n - 1; i > 0; --i) {
    std::swap(t.data()[i], t.data()[gen.next_below(static_cast<std::uint64_t>(i) + 1)]);
  }
  return Var<double>(t, true);
}

}  // namespace

TEST_CASE_TEMPLATE("max_pool2d matches PyTorch on every fixture case", T, float, double) {
  check_pool_family<T>("max_pool2d", [](const Var<T>& x, const Pool2dOptions& o) { return duel::max_pool2d(x, o); });
}

TEST_CASE_TEMPLATE("avg_pool2d matches PyTorch on every fixture case", T, float, double) {
  check_pool_family<T>("avg_pool2d", [](const Var<T>& x, const Pool2dOptions& o) { return duel::avg_pool2d(x, o); });
}

TEST_CASE("max_pool2d: gradcheck and gradgradcheck on values without ties") {
  duel::Generator gen(201);
  const Pool2dOptions windows[] = {{.kernel_size = 2},
                                   {.kernel_size = 3, .stride = 2, .padding = 1},
                                   {.kernel_size = {3, 2}, .stride = {2, 1}, .padding = {1, 0}},
                                   {.kernel_size = 2, .stride = 1, .dilation = 2}};
  for (const Pool2dOptions& o : windows) {
    INFO("kernel ", o.kernel_size.h, "x", o.kernel_size.w, " stride ", o.stride.h, "x", o.stride.w);
    duel::test::check_gradients([o](const auto& v) { return duel::max_pool2d(v[0], o); },
                                {distinct_var({2, 2, 5, 4}, gen)});
  }
}

TEST_CASE("avg_pool2d: gradcheck and gradgradcheck, with and without padding in the divisor") {
  duel::Generator gen(202);
  const Pool2dOptions windows[] = {{.kernel_size = 2},
                                   {.kernel_size = 3, .stride = 2, .padding = 1},
                                   {.kernel_size = 3, .stride = 2, .padding = 1, .count_include_pad = false},
                                   {.kernel_size = {3, 2}, .stride = {2, 1}, .padding = {1, 0}, .count_include_pad = false}};
  for (const Pool2dOptions& o : windows) {
    INFO("kernel ", o.kernel_size.h, "x", o.kernel_size.w, " count_include_pad ", o.count_include_pad);
    duel::test::check_gradients([o](const auto& v) { return duel::avg_pool2d(v[0], o); },
                                {duel::test::rand_var({2, 2, 5, 4}, gen)});
  }
}

TEST_CASE("max_pool2d: ties go to the first pixel of the window, NaN wins, as in PyTorch") {
  Var<double> x(duel::ones<double>({1, 1, 2, 2}), true);
  Var<double> y = duel::max_pool2d(x, {.kernel_size = 2});
  y.backward(Var<double>(duel::ones<double>(y.shape())));
  duel::test::check_close(x.grad(), {1, 0, 0, 0});
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(std::isnan(duel::max_pool2d(duel::test::var_of<double>({1, nan, 3, 2}, {1, 1, 2, 2}), {.kernel_size = 2}).item()));
}

TEST_CASE("pooling: bad windows say what is wrong") {
  const Var<double> x(duel::zeros<double>({1, 1, 2, 2}));
  // A 3x3 window does not fit a 2x2 image, whatever the stride (PyTorch: "Output size is too small").
  CHECK_THROWS_WITH_AS(duel::max_pool2d(x, {.kernel_size = 3, .stride = 3}),
                       "max_pool2d: input [1,1,2,2] is smaller than the 3x3 window", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::avg_pool2d(x, {.kernel_size = 3}), "avg_pool2d: input [1,1,2,2] is smaller than the 3x3 window",
                       duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::max_pool2d(x, {.kernel_size = 2, .padding = 2}),
                       "max_pool2d: kernel 2x2, stride 2x2 and dilation 1x1 must be >= 1 and padding 2x2 at most half the kernel",
                       duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::avg_pool2d(x, {.dilation = 2}), "avg_pool2d: dilation is not supported (PyTorch has none either)",
                       duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::max_pool2d(Var<double>(duel::zeros<double>({2, 4, 4}))),
                       "max_pool2d: input must be [N, C, H, W], got [2,4,4]", duel::ShapeError);
}
