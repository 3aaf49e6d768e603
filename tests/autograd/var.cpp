#include "duel/autograd/var.hpp"

#include <doctest/doctest.h>

#include <string>

#include "duel/ops/arithmetic.hpp"
#include "duel/ops/reduce.hpp"
#include "test_util.hpp"

using duel::Var;
using namespace duel::test;

TEST_CASE("Var: an undefined Var is an absent gradient") {
  Var<double> v;
  CHECK_FALSE(v.defined());
  CHECK_FALSE(v.requires_grad());
  CHECK(v.node() == nullptr);
}

TEST_CASE("Var: leaves, requires_grad and the accessors of the value") {
  Var<double> c(duel::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3}));
  CHECK(c.defined());
  CHECK(c.is_leaf());
  CHECK_FALSE(c.requires_grad());
  CHECK(c.shape() == duel::Shape{2, 3});
  CHECK(c.rank() == 2);
  CHECK(c.size(-1) == 3);
  CHECK(c.numel() == 6);
  CHECK(std::string(c.op_name()).empty());
  CHECK_FALSE(c.grad().defined());

  c.set_requires_grad(true);
  CHECK(c.requires_grad());
  CHECK(c.is_leaf());
  c.value()(0, 0) = 10;  // the value can be changed in place, as PyTorch's .data
  CHECK(c.value()(0, 0) == 10);
  CHECK(var_of<double>({2.5}, {}).item() == 2.5);
  CHECK(Var<float>(duel::ones<float>({1}), true).requires_grad());
}

TEST_CASE("Var: results of recorded ops are not leaves and cannot change requires_grad") {
  Var<double> x = var_of<double>({1, 2}, {2});
  Var<double> y = x * 3.0;
  CHECK_FALSE(y.is_leaf());
  CHECK(y.requires_grad());
  CHECK(std::string(y.op_name()) == "mul_scalar");
  CHECK_THROWS_WITH_AS(y.set_requires_grad(false),
                       "set_requires_grad: only leaves can change requires_grad; use detach()", duel::Error);
  Var<double> constant = var_of<double>({1, 2}, {2}, false) * 3.0;  // nothing to record
  CHECK(constant.is_leaf());
  CHECK_FALSE(constant.requires_grad());
}

TEST_CASE("Var: detach shares the value but leaves the graph") {
  Var<double> x = var_of<double>({1, 2}, {2});
  Var<double> y = x * 2.0;
  Var<double> d = y.detach();
  CHECK(d.is_leaf());
  CHECK_FALSE(d.requires_grad());
  CHECK(d.value().shares_storage_with(y.value()));
  Var<double> z = d * x;  // gradients reach x only through the second factor
  duel::sum(z).backward();
  check_close(x.grad(), {2, 4});
}

TEST_CASE("Var: zero_grad and set_grad") {
  Var<double> x = var_of<double>({1, 2}, {2});
  duel::sum(x * x).backward();
  check_close(x.grad(), {2, 4});
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  duel::sum(x * 5.0).backward();  // accumulation starts afresh after zero_grad
  check_close(x.grad(), {5, 5});
  x.set_grad(var_of<double>({7, 8}, {2}, false));
  check_close(x.grad(), {7, 8});
}

TEST_CASE("record: builds a node only when grad mode is on and some input requires grad") {
  Var<double> a = var_of<double>({1}, {1}), b = var_of<double>({2}, {1}, false), none;
  auto identity = [](const duel::BackwardContext<double>& ctx) -> duel::GradList<double> {
    return {ctx.grad, duel::Var<double>(), duel::Var<double>()};
  };
  Var<double> r = duel::record<double>("probe", duel::ones<double>({1}), {a, b, none}, identity);
  CHECK(std::string(r.op_name()) == "probe");
  CHECK(r.node()->inputs.size() == 3);
  CHECK(r.node()->inputs[2] == nullptr);  // an undefined input stays an empty edge
  Var<double> plain = duel::record<double>("probe", duel::ones<double>({1}), {b, none, b}, identity);
  CHECK(plain.is_leaf());
  CHECK_FALSE(plain.requires_grad());
  r.backward();
  check_close(a.grad(), {1});
  CHECK_FALSE(b.grad().defined());
}
