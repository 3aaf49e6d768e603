#include "duel/autograd/engine.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <string>

#include "duel/autograd/grad.hpp"
#include "duel/ops/activation.hpp"
#include "duel/ops/arithmetic.hpp"
#include "duel/ops/reduce.hpp"
#include "test_util.hpp"

using duel::Var;
using namespace duel::test;

TEST_CASE("backward: gradients accumulate over two backward calls") {
  Var<double> x = var_of<double>({1, -2, 3}, {3});
  duel::sum(x * x * 0.5).backward();
  check_close(x.grad(), {1, -2, 3});
  duel::sum(x * 4.0).backward();
  check_close(x.grad(), {5, 2, 7});
}

TEST_CASE("backward: a Var used twice gets the sum of both paths") {
  Var<double> x = var_of<double>({1.5, -2}, {2});
  duel::sum(x * x).backward();
  check_close(x.grad(), {3, -4});

  Var<double> w = var_of<double>({0.5}, {1});
  Var<double> a = w * 2.0, b = w * 3.0;  // a diamond: w -> a, b -> a * b = 6 w^2
  duel::sum(a * b).backward();
  check_close(w.grad(), {6});
}

TEST_CASE("backward: retain_graph allows a second pass; without it the second pass throws") {
  Var<double> x = var_of<double>({2}, {1});
  Var<double> y = duel::sum(x * x);
  y.backward({.retain_graph = true});
  y.backward();
  check_close(x.grad(), {8});
  CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("the graph through 'sum' was freed by an earlier backward()"),
                       duel::Error);

  Var<double> shared = x * 3.0;  // a second output sharing a freed part of the graph
  Var<double> z1 = duel::sum(shared), z2 = duel::sum(shared * shared);
  z1.backward();
  CHECK_THROWS_WITH_AS(z2.backward(), doctest::Contains("'mul_scalar' was freed"), duel::Error);
}

TEST_CASE("backward: output gradients, implicit or explicit") {
  Var<double> x = var_of<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  Var<double> y = x * 2.0;
  CHECK_THROWS_WITH_AS(y.backward(),
                       "backward: implicit gradient needs a one-element output, got [2,3]; pass the output gradient explicitly",
                       duel::ShapeError);
  CHECK_THROWS_WITH_AS(y.backward(var_of<double>({1, 2}, {2}, false)),
                       "backward: gradient of shape [2] for an output of shape [2,3]", duel::ShapeError);
  CHECK_THROWS_WITH_AS(y.backward(Var<double>()), "backward: the output gradient is undefined", duel::ValueError);
  y.backward(var_of<double>({1, 0, -1, 2, 0, 0.5}, {2, 3}, false));
  check_close(x.grad(), {2, 0, -2, 4, 0, 1});

  Var<double> one = var_of<double>({3}, {1, 1});  // one element of any rank has an implicit gradient
  (one * 5.0).backward();
  check_close(one.grad(), {5});
  Var<double> leaf = var_of<double>({1, 2}, {2});  // backward from a leaf stores the gradient itself
  leaf.backward(var_of<double>({3, 4}, {2}, false));
  check_close(leaf.grad(), {3, 4});
}

TEST_CASE("backward: inputs that do not need a gradient get none") {
  Var<double> x = var_of<double>({1, 2}, {2});
  Var<double> unused = var_of<double>({5}, {1});
  Var<double> constant = var_of<double>({3, 4}, {2}, false);
  duel::sum(x * constant).backward();
  check_close(x.grad(), {3, 4});
  CHECK_FALSE(unused.grad().defined());
  CHECK_FALSE(constant.grad().defined());
  CHECK_THROWS_WITH_AS(duel::sum(constant * 2.0).backward(), doctest::Contains("the output does not require grad"), duel::Error);
}

TEST_CASE("backward: the gradients stored in .grad are not shared between leaves") {
  Var<double> a = var_of<double>({1, 2}, {2}), b = var_of<double>({3, 4}, {2});
  Var<double> g = var_of<double>({1, 1}, {2}, false);
  (a + b).backward(g);  // add passes the same gradient to both inputs
  CHECK_FALSE(a.grad().value().shares_storage_with(b.grad().value()));
  CHECK_FALSE(a.grad().value().shares_storage_with(g.value()));
  a.grad().node()->value.fill_(0);  // clearing one in place (an optimizer would) leaves the other
  check_close(b.grad(), {1, 1});
  check_close(g, {1, 1});
}

TEST_CASE("backward: backward functions run without recording unless create_graph is set") {
  bool recording = true;
  Var<double> x = var_of<double>({2}, {1});
  auto probe = [&recording](const Var<double>& in) {
    return duel::record<double>("probe", in.value().clone(), {in}, [&recording](const duel::BackwardContext<double>& ctx) -> duel::GradList<double> {
      recording = duel::GradMode::is_enabled();
      return {ctx.grad};
    });
  };
  probe(x).backward();
  CHECK_FALSE(recording);
  probe(x).backward({.create_graph = true});
  CHECK(recording);

  Var<double> w = var_of<double>({3}, {1});
  duel::sum(w * w).backward({.create_graph = true});
  REQUIRE(w.grad().requires_grad());  // the stored gradient 2w carries a graph of its own
  check_close(duel::grad<double>({duel::sum(w.grad())}, {w})[0], {2});
}

TEST_CASE("backward: a backward function's mistakes are reported with the op's name") {
  Var<double> x = var_of<double>({1, 2, 3}, {3});
  Var<double> too_few = duel::record<double>("too_few", x.value().clone(), {x, x},
                                             [](const duel::BackwardContext<double>& ctx) -> duel::GradList<double> { return {ctx.grad}; });
  CHECK_THROWS_WITH_AS(too_few.backward(var_of<double>({1, 1, 1}, {3}, false)),
                       "backward of 'too_few' returned 1 gradients for 2 inputs", duel::Error);
  Var<double> wrong_shape = duel::record<double>("wrong_shape", x.value().clone(), {x}, [](const duel::BackwardContext<double>&) -> duel::GradList<double> {
    return {Var<double>(duel::ones<double>({2}))};
  });
  CHECK_THROWS_WITH_AS(wrong_shape.backward(var_of<double>({1, 1, 1}, {3}, false)),
                       "backward of 'wrong_shape': gradient [2] for input 0 of shape [3]", duel::ShapeError);
}

TEST_CASE("backward: a chain of 100,000 ops builds, backpropagates and is destroyed without deep recursion") {
  constexpr int n = 100000;
  const double factor = 1.0001;
  Var<double> x = var_of<double>({1, 2}, {2});
  {
    Var<double> y = x;
    for (int i = 0; i < n; ++i) y = y * factor;
    duel::sum(y).backward();
    const double expected = std::pow(factor, n);  // d(x factor^n)/dx
    check_close(x.grad(), {expected, expected}, 1e-9);
  }
  x.zero_grad();
  {
    Var<double> y = x, c = var_of<double>({1}, {1}, false);
    for (int i = 0; i < n; ++i) y = y * c;  // mul's closure holds its operands as well as its edges
    duel::sum(y).backward({.retain_graph = true});  // the graph outlives backward, then dies with y
    check_close(x.grad(), {1, 1});
  }
  {
    Var<double> y = x;
    for (int i = 0; i < n; ++i) y = y + 1.0;
  }  // destroyed without any backward
  x.zero_grad();
  {
    Var<double> y = x;
    for (int i = 0; i < n; ++i) y = y * factor;
    duel::sum(y).backward({.create_graph = true});  // x.grad now holds a second chain of n ops
    const double expected = std::pow(factor, n);
    check_close(x.grad(), {expected, expected}, 1e-9);
  }
  x.zero_grad();
}

TEST_CASE("backward: the graph behind the output is released unless retain_graph") {
  Var<double> x = var_of<double>({1, 2}, {2});
  std::weak_ptr<duel::Node<double>> hidden;
  Var<double> y;
  {
    Var<double> h = x * 2.0;
    hidden = h.node_ptr();
    y = duel::sum(h * h);
  }
  CHECK_FALSE(hidden.expired());  // the graph keeps the intermediate alive
  y.backward({.retain_graph = true});
  CHECK_FALSE(hidden.expired());
  y.backward();
  CHECK(hidden.expired());  // freed by the pass, while y itself is still alive
  CHECK(y.defined());
  CHECK_FALSE(y.is_leaf());  // a released node is still not a leaf
  CHECK(y.node()->inputs.empty());
  check_close(x.grad(), {16, 32});
}
