#include "duel/ops/conv.hpp"

#include <doctest/doctest.h>

#include <cstring>

#include "duel/autograd/grad.hpp"
#include "fixtures.hpp"
#include "test_util.hpp"

using duel::Size2;
using duel::Var;
using duel::test::rand_var;
namespace fx = duel::fixtures;

namespace {

struct Geometry {
  Size2 stride, padding, dilation, output_padding;
  bool bias;
};

// The geometries the derivative checks cover: strides, paddings and dilations that differ per dim.
const Geometry conv_geometries[] = {
    {1, 0, 1, 0, true}, {2, 1, 1, 0, false}, {{2, 1}, {1, 0}, {1, 2}, 0, true}, {1, 2, 2, 0, true}};
// output_padding must stay below stride or dilation: {s3, op2, d2} and {s1, op1, d2} use each.
const Geometry transpose_geometries[] = {{1, 0, 1, 0, true},
                                         {2, 1, 1, 1, false},
                                         {{2, 1}, {1, 0}, 1, {1, 0}, true},
                                         {3, 0, 2, 2, false},
                                         {1, 2, 2, 1, true}};

// Image n of x [N, C, H, W] as [1, C, H, W].
template <class T>
Var<T> image(const Var<T>& x, duel::index_t n) {
  duel::Shape s = x.shape();
  s[0] = 1;
  duel::Tensor<T> out = duel::Tensor<T>::empty(s);
  std::memcpy(out.data(), x.value().data() + n * s.numel(), static_cast<std::size_t>(s.numel()) * sizeof(T));
  return Var<T>(out);
}

}  // namespace

TEST_CASE_TEMPLATE("conv2d matches PyTorch on every fixture case", T, float, double) {
  fx::for_each_case("conv2d", [](const fx::Case& c) {
    const duel::Conv2dOptions opt{c.size2("stride"), c.size2("padding"), c.size2("dilation")};
    fx::check_op<T>(c, {"x", "weight", "bias"},
                    [&](const fx::Inputs<T>& in) { return duel::conv2d(in["x"], in["weight"], in["bias"], opt); });
  });
}

TEST_CASE_TEMPLATE("conv_transpose2d matches PyTorch on every fixture case", T, float, double) {
  fx::for_each_case("conv_transpose2d", [](const fx::Case& c) {
    const duel::ConvTranspose2dOptions opt{c.size2("stride"), c.size2("padding"), c.size2("output_padding"),
                                           c.size2("dilation")};
    fx::check_op<T>(c, {"x", "weight", "bias"}, [&](const fx::Inputs<T>& in) {
      return duel::conv_transpose2d(in["x"], in["weight"], in["bias"], opt);
    });
  });
}

TEST_CASE("conv2d: gradcheck and gradgradcheck over strides, paddings, dilations, with and without bias") {
  const duel::test::ThreadCountGuard threads;
  duel::set_num_threads(1);  // thousands of tiny ops: waking threads for each costs far more than the work
  duel::Generator gen(101);
  for (const Geometry& g : conv_geometries) {
    INFO("stride ", g.stride.h, "x", g.stride.w, " padding ", g.padding.h, "x", g.padding.w, " dilation ", g.dilation.h,
         "x", g.dilation.w, " bias ", g.bias);
    std::vector<Var<double>> in{rand_var({2, 2, 4, 3}, gen), rand_var({3, 2, 3, 2}, gen)};
    if (g.bias) in.push_back(rand_var({3}, gen));
    duel::test::check_gradients(
        [g](const std::vector<Var<double>>& v) {
          return duel::conv2d(v[0], v[1], g.bias ? v[2] : Var<double>(), {g.stride, g.padding, g.dilation});
        },
        in);
  }
}

TEST_CASE("conv_transpose2d: gradcheck and gradgradcheck over strides, paddings, output paddings, dilations") {
  const duel::test::ThreadCountGuard threads;
  duel::set_num_threads(1);  // thousands of tiny ops: waking threads for each costs far more than the work
  duel::Generator gen(102);
  for (const Geometry& g : transpose_geometries) {
    INFO("stride ", g.stride.h, "x", g.stride.w, " padding ", g.padding.h, "x", g.padding.w, " output_padding ",
         g.output_padding.h, "x", g.output_padding.w, " dilation ", g.dilation.h, "x", g.dilation.w, " bias ", g.bias);
    std::vector<Var<double>> in{rand_var({2, 2, 3, 3}, gen), rand_var({2, 3, 3, 2}, gen)};
    if (g.bias) in.push_back(rand_var({3}, gen));
    duel::test::check_gradients(
        [g](const std::vector<Var<double>>& v) {
          return duel::conv_transpose2d(v[0], v[1], g.bias ? v[2] : Var<double>(),
                                        {g.stride, g.padding, g.output_padding, g.dilation});
        },
        in);
  }
}

// The kernels put as many images side by side as fit 1M columns entries; at 144 x 3136 per image
// that is 2, so a batch of 3 runs as chunks {0, 1} and {2}, which the small fixtures never reach.
TEST_CASE("conv kernels: a batch split into GEMM chunks gives what each image gives alone") {
  duel::Generator gen(103);
  Var<float> x(duel::randn<float>({3, 16, 56, 56}, gen), true), w(duel::randn<float>({2, 16, 3, 3}, gen), true);
  Var<float> g(duel::randn<float>({3, 2, 56, 56}, gen));
  Var<float> y = duel::conv2d(x, w, {}, {.padding = 1});
  y.backward(g);
  duel::Tensor<float> dw_sum = duel::zeros<float>(w.shape());
  for (duel::index_t n = 0; n < 3; ++n) {
    Var<float> wn(w.value(), true);
    Var<float> yn = duel::conv2d(image(x, n), wn, {}, {.padding = 1});
    yn.backward(image(g, n));
    CHECK(duel::allclose(yn.value(), image(y, n).value(), 1e-5, 1e-5));
    CHECK(duel::allclose(duel::conv_transpose2d(image(g, n), w, {}, {.padding = 1}).value(), image(x.grad(), n).value(),
                         1e-5, 1e-5));
    dw_sum.as_array() += wn.grad().value().as_array();
  }
  CHECK(duel::allclose(w.grad().value(), dw_sum, 1e-4, 1e-3));
}

// Without create_graph, conv_transpose2d's backward computes both gradients from one im2col of
// the incoming gradient (conv2d_forward_and_weight_kernel); with it, through the two ops that can
// be differentiated again. Both must agree, here over two chunks (the 56 x 56 images above).
TEST_CASE("conv_transpose2d: the fused backward gives the gradients of the separate ops") {
  duel::Generator gen(107);
  const duel::ConvTranspose2dOptions opt{.stride = 1, .padding = 1};
  Var<float> g(duel::randn<float>({3, 16, 56, 56}, gen));  // im2col of g: 144 x 3136 per image, two chunks
  duel::Tensor<float> x = duel::randn<float>({3, 2, 56, 56}, gen), w = duel::randn<float>({2, 16, 3, 3}, gen);
  Var<float> x1(x, true), w1(w, true), x2(x.clone(), true), w2(w.clone(), true);
  duel::conv_transpose2d(x1, w1, {}, opt).backward(g);
  // duel::grad, not backward: gradients stored on the leaves would hold their own graph, a cycle.
  const std::vector<Var<float>> separate =
      duel::grad<float>({duel::conv_transpose2d(x2, w2, {}, opt)}, {x2, w2}, {g}, {.create_graph = true});
  CHECK(duel::allclose(x1.grad().value(), separate[0].value(), 0, 0));
  CHECK(duel::allclose(w1.grad().value(), separate[1].value(), 0, 0));
}

TEST_CASE("conv2d and conv_transpose2d: bad shapes and settings say what is wrong") {
  const Var<double> x(duel::zeros<double>({1, 2, 5, 5}));
  CHECK_THROWS_WITH_AS(duel::conv2d(x, Var<double>(duel::zeros<double>({4, 3, 3, 3}))),
                       "conv2d: input [1,2,5,5] has 2 channels but weight [4,3,3,3] expects 3", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::conv2d(Var<double>(duel::zeros<double>({2, 5, 5})), Var<double>(duel::zeros<double>({4, 2, 3, 3}))),
                       "conv2d: input must be [N, C, H, W], got [2,5,5]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::conv2d(x, Var<double>(duel::zeros<double>({4, 2, 3, 3})), Var<double>(duel::zeros<double>({3}))),
                       "conv2d: bias [3] does not match weight [4,2,3,3] (expected [4])", duel::ShapeError);
  CHECK_THROWS_AS(duel::conv2d(x, Var<double>(duel::zeros<double>({4, 2, 3, 3})), {}, {.stride = 0}), duel::ValueError);

  // A 5x5 kernel does not fit a 3x3 image: PyTorch refuses, whatever the stride (with stride 3,
  // truncating division would make it a 1x1 output).
  const Var<double> small(duel::zeros<double>({1, 1, 3, 3})), k5(duel::zeros<double>({1, 1, 5, 5}));
  CHECK_THROWS_WITH_AS(duel::conv2d(small, k5, {}, {.stride = 3}),
                       "conv2d: input [1,1,3,3] is too small for kernel 5x5 with padding 0x0 and dilation 1x1 "
                       "(output would be 0x0)",
                       duel::ShapeError);
  CHECK_THROWS_AS(duel::conv2d(small, k5), duel::ShapeError);
  CHECK(duel::conv2d(small, k5, {}, {.padding = 1}).shape() == duel::Shape{1, 1, 1, 1});  // padding makes it fit
  const Var<double> k2(duel::zeros<double>({1, 1, 2, 2}));
  CHECK_THROWS_AS(duel::conv2d(small, k2, {}, {.dilation = 3}), duel::ShapeError);  // spans 4 pixels

  const Var<double> k3(duel::zeros<double>({1, 1, 3, 3}));
  CHECK_THROWS_WITH_AS(duel::conv_transpose2d(small, k3, {}, {.stride = 2, .output_padding = 2}),
                       "conv_transpose2d: output_padding (2,2) must be smaller than either stride or dilation",
                       duel::ValueError);
  CHECK_THROWS_AS(duel::conv_transpose2d(small, k3, {}, {.stride = 1, .output_padding = 1}), duel::ValueError);
  // Valid as long as it is below one of the two, as in PyTorch: 1 < dilation 2 with stride 1.
  CHECK(duel::conv_transpose2d(small, k3, {}, {.output_padding = 1, .dilation = 2}).shape() == duel::Shape{1, 1, 8, 8});
  CHECK_THROWS_WITH_AS(duel::conv_transpose2d(Var<double>(duel::zeros<double>({1, 1, 1, 1})),
                                              Var<double>(duel::zeros<double>({1, 1, 1, 1})), {}, {.padding = 1}),
                       "conv_transpose2d: input [1,1,1,1] with kernel 1x1 and padding 1x1 gives an output of -1x-1",
                       duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::conv_transpose2d(small, Var<double>(duel::zeros<double>({2, 1, 3, 3}))),
                       "conv_transpose2d: input [1,1,3,3] has 1 channel but weight [2,1,3,3] expects 2", duel::ShapeError);
}

TEST_CASE("conv2d: an empty batch gives an empty output and zero weight gradients") {
  Var<float> x(duel::zeros<float>({0, 2, 5, 5}), true);
  Var<float> w(duel::full<float>({3, 2, 3, 3}, 1.0f), true);
  Var<float> y = duel::conv2d(x, w, {}, {.padding = 1});
  CHECK(y.shape() == duel::Shape{0, 3, 5, 5});
  y.backward(Var<float>(duel::zeros<float>({0, 3, 5, 5})));
  REQUIRE(w.grad().defined());
  for (float v : std::vector<float>(w.grad().value().data(), w.grad().value().data() + w.numel())) CHECK(v == 0.0f);
}
