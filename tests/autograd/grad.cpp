#include "duel/autograd/grad.hpp"

#include <doctest/doctest.h>

#include "duel/ops/activation.hpp"
#include "duel/ops/arithmetic.hpp"
#include "duel/ops/reduce.hpp"
#include "test_util.hpp"

using duel::Tensor;
using duel::Var;
using namespace duel::test;

TEST_CASE("grad with create_graph: the second derivative of sum(tanh(x)^3) in closed form") {
  duel::Generator gen(4);
  Var<double> x = rand_var({7}, gen, -2, 2);
  Var<double> y = duel::sum(duel::pow(duel::tanh(x), 3.0));
  Var<double> g = duel::grad<double>({y}, {x}, {}, {.create_graph = true})[0];
  CHECK(g.requires_grad());
  Var<double> h = duel::grad<double>({duel::sum(g)}, {x})[0];  // each g_i depends on x_i only

  Tensor<double> first = Tensor<double>::empty(x.shape()), second = Tensor<double>::empty(x.shape());
  for (duel::index_t i = 0; i < x.numel(); ++i) {
    const double t = std::tanh(x.value()(i)), d = 1 - t * t;  // d tanh/dx = 1 - tanh^2
    first(i) = 3 * t * t * d;
    second(i) = 6 * t * d * d - 6 * t * t * t * d;
  }
  check_close(g.value(), first, 1e-12, 1e-14);
  check_close(h.value(), second, 1e-12, 1e-14);
  CHECK_FALSE(x.grad().defined());  // grad returns gradients; it never touches .grad
}

TEST_CASE("grad: several outputs and inputs, with explicit grad_outputs") {
  Var<double> a = var_of<double>({1, 2}, {2}), b = var_of<double>({3}, {1});
  Var<double> y1 = a * b, y2 = duel::sum(a * a);  // y1 [2] broadcasts b
  auto grads = duel::grad<double>({y1, y2}, {a, b}, {var_of<double>({1, -1}, {2}, false), var_of<double>({2}, {}, false)});
  REQUIRE(grads.size() == 2);
  check_close(grads[0], {3 + 2 * 2 * 1, -3 + 2 * 2 * 2});  // b v + 2 * 2a
  check_close(grads[1], {1 * 1 - 2});                       // sum(a v)
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(b.grad().defined());
}

TEST_CASE("grad: an input passed twice gets its gradient twice") {
  Var<double> x = var_of<double>({1, 2}, {2});
  auto grads = duel::grad<double>({duel::sum(x * x)}, {x, x});
  check_close(grads[0], {2, 4});
  check_close(grads[1], {2, 4});
  CHECK(duel::gradcheck([](const auto& v) { return v[0] * v[1]; }, {x, x}));
}

TEST_CASE("grad: unused inputs are an error unless allow_unused") {
  Var<double> x = var_of<double>({1, 2}, {2}), unused = var_of<double>({1, 2}, {2});
  Var<double> y = duel::sum(x * x);
  CHECK_THROWS_WITH_AS(duel::grad<double>({y}, {x, unused}, {}, {.retain_graph = true}),
                       doctest::Contains("grad: input 1 of shape [2] was not used to compute the outputs"), duel::Error);
  auto grads = duel::grad<double>({y}, {x, unused}, {}, {.allow_unused = true});
  check_close(grads[0], {2, 4});
  CHECK_FALSE(grads[1].defined());
}

TEST_CASE("grad: retain_graph defaults to create_graph") {
  Var<double> x = var_of<double>({3}, {1});
  Var<double> y = duel::sum(x * x);
  duel::grad<double>({y}, {x});
  CHECK_THROWS_WITH_AS(duel::grad<double>({y}, {x}), doctest::Contains("was freed by an earlier backward()"), duel::Error);

  Var<double> z = duel::sum(x * x * x);
  duel::grad<double>({z}, {x}, {}, {.create_graph = true});
  check_close(duel::grad<double>({z}, {x})[0], {27});  // the graph was kept for the second call
  Var<double> w = duel::sum(x * 2.0);
  duel::grad<double>({w}, {x}, {}, {.retain_graph = true});
  check_close(duel::grad<double>({w}, {x})[0], {2});
}

TEST_CASE("grad: with respect to a non-leaf intermediate") {
  Var<double> x = var_of<double>({1, -2}, {2});
  Var<double> h = x * 3.0;
  Var<double> y = duel::sum(h * h);
  auto grads = duel::grad<double>({y}, {h, x}, {}, {.retain_graph = true});
  check_close(grads[0], {6, -12});  // 2h
  check_close(grads[1], {18, -36});  // 2h * 3
  check_close(duel::grad<double>({y}, {h})[0], {6, -12});
}

TEST_CASE("grad: argument errors") {
  Var<double> x = var_of<double>({1, 2, 3}, {3});
  Var<double> y = x * 2.0;
  CHECK_THROWS_WITH_AS(duel::grad<double>({y}, {x}), "grad: output of shape [3] needs an explicit grad_output", duel::ShapeError);
  CHECK_THROWS_WITH_AS(duel::grad<double>({y}, {x}, {y, y}), "grad: 1 outputs but 2 grad_outputs", duel::ValueError);
  CHECK_THROWS_WITH_AS(duel::grad<double>({duel::sum(y)}, {}), "grad: no inputs to differentiate with respect to", duel::ValueError);
  Var<double> constant = var_of<double>({1}, {1}, false);
  CHECK_THROWS_WITH_AS(duel::grad<double>({duel::sum(y)}, {x, constant}), "grad: input 1 does not require grad", duel::Error);
}
