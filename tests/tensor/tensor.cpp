#include "duel/tensor/tensor.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "test_util.hpp"

using namespace duel;
using namespace duel::test;

namespace {

bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

}  // namespace

TEST_CASE("Tensor: a default tensor is empty with shape [0]") {
  Tensor<float> t;
  CHECK(t.shape() == Shape{0});
  CHECK(t.numel() == 0);
  CHECK(t.begin() == t.end());
  CHECK_FALSE(t.shares_storage_with(Tensor<float>()));
}

TEST_CASE("Tensor: constructing from a shape gives zeros; rank 0 holds one element") {
  Tensor<double> t(Shape{2, 3});
  CHECK(t.rank() == 2);
  CHECK(t.size(0) == 2);
  CHECK(t.size(-1) == 3);
  check_all_equal(t, 0.0);

  Tensor<float> s(Shape{});
  CHECK(s.rank() == 0);
  CHECK(s.numel() == 1);
  CHECK(s.item() == 0.0f);
  s.fill_(2.5f);
  CHECK(s.item() == 2.5f);
  CHECK(s() == 2.5f);

  Tensor<int> e(Shape{3, 0});
  CHECK(e.numel() == 0);
  CHECK(Tensor<float>::empty({4, 5}).shape() == Shape{4, 5});
}

TEST_CASE("Tensor: element access is row-major; at() checks bounds and rank") {
  Tensor<float> t = counting({2, 3, 4});
  CHECK(t(0, 0, 0) == 0);
  CHECK(t(1, 2, 3) == 23);
  CHECK(t(1, 0, 2) == 14);
  CHECK(t.at({0, 2, 1}) == 9);
  t.at({1, 1, 1}) = -1;
  CHECK(t(1, 1, 1) == -1);
  const Tensor<float>& c = t;
  CHECK(c.at({1, 1, 1}) == -1);
  CHECK(c(1, 2, 3) == 23);

  CHECK_THROWS_WITH_AS(t.at({0, 3, 0}), "at: index 3 is out of range for dim 1 of [2,3,4]", ShapeError);
  CHECK_THROWS_WITH_AS(t.at({-1, 0, 0}), "at: index -1 is out of range for dim 0 of [2,3,4]", ShapeError);
  CHECK_THROWS_WITH_AS(t.at({0, 0}), "at: 2 indices for a tensor of rank 3 [2,3,4]", ShapeError);
  CHECK_THROWS_AS(Tensor<float>(Shape{3, 0}).at({0, 0}), ShapeError);
}

TEST_CASE("Tensor: item() needs exactly one element") {
  CHECK(counting({1, 1}).item() == 0.0f);
  CHECK_THROWS_WITH_AS(counting({2}).item(), "item: tensor of shape [2] has 2 elements", ShapeError);
  CHECK_THROWS_WITH_AS(Tensor<float>().item(), "item: tensor of shape [0] has 0 elements", ShapeError);
}

TEST_CASE("Tensor: copies and reshapes are views of one buffer") {
  Tensor<float> t = counting({2, 3});
  Tensor<float> copy = t;
  Tensor<float> v = t.reshape({3, 2});
  CHECK(v.shape() == Shape{3, 2});
  CHECK(v.shares_storage_with(t));
  CHECK(copy.shares_storage_with(t));
  v(2, 1) = 100;
  CHECK(t(1, 2) == 100);
  CHECK(copy(1, 2) == 100);
  CHECK(t.reshape(Shape{6}).data() == t.data());
  CHECK(t.reshape({1, 6, 1}).shape() == Shape{1, 6, 1});
  CHECK(counting({1}).reshape(Shape{}).rank() == 0);
}

TEST_CASE("Tensor: reshape infers one -1 from the element count") {
  Tensor<float> t = counting({2, 3, 4});
  CHECK(t.reshape({-1}).shape() == Shape{24});
  CHECK(t.reshape({4, -1}).shape() == Shape{4, 6});
  CHECK(t.reshape({-1, 2, 3}).shape() == Shape{4, 2, 3});
  CHECK(t.reshape({2, -1, 1}).shape() == Shape{2, 12, 1});
  Tensor<float> empty(Shape{0, 3});
  CHECK(empty.reshape({-1, 3}).shape() == Shape{0, 3});
  CHECK(empty.reshape({3, -1}).shape() == Shape{3, 0});
}

TEST_CASE("Tensor: reshape errors name both shapes") {
  Tensor<float> t = counting({2, 3});
  CHECK_THROWS_WITH_AS(t.reshape({4}), "reshape: cannot view [2,3] (6 elements) as [4] (4 elements)", ShapeError);
  CHECK_THROWS_WITH_AS(t.reshape({4, -1}), "reshape: cannot infer -1 when viewing [2,3] with [4,-1]", ShapeError);
  CHECK_THROWS_WITH_AS(t.reshape({-1, -1}), "reshape: bad size -1 for [2,3]", ShapeError);
  CHECK_THROWS_WITH_AS(t.reshape({-2, 3}), "reshape: bad size -2 for [2,3]", ShapeError);
  CHECK_THROWS_AS(Tensor<float>(Shape{0, 3}).reshape({0, -1}), ShapeError);  // -1 could be anything
}

TEST_CASE("Tensor: clone is independent; copy_ writes values in place") {
  Tensor<double> t = counting<double>({2, 2});
  Tensor<double> c = t.clone();
  CHECK_FALSE(c.shares_storage_with(t));
  c(0, 0) = 42;
  CHECK(t(0, 0) == 0);
  CHECK(Tensor<double>().clone().numel() == 0);

  Tensor<double> dst(Shape{4});
  double* before = dst.data();
  dst.copy_(t);  // same element count, other shape: fine
  CHECK(dst.data() == before);
  CHECK(dst(3) == 3);
  dst.copy_(dst);
  CHECK(dst(2) == 2);
  CHECK_THROWS_WITH_AS(dst.copy_(counting<double>({3})), "copy_: source [3] does not fit destination [4]", ShapeError);
}

TEST_CASE("allclose: tolerances, shapes, NaN and infinities") {
  auto t = [](std::initializer_list<double> v) { return duel::from_vector(std::vector<double>(v)); };
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  CHECK(allclose(t({1, 2}), t({1, 2})));
  CHECK(allclose(t({1, 2}), t({1 + 1e-6, 2}), 1e-5));
  CHECK_FALSE(allclose(t({1, 2}), t({1 + 1e-3, 2})));
  CHECK(allclose(t({0}), t({1e-9})));  // atol covers values near zero
  CHECK_FALSE(allclose(t({0}), t({1e-7})));
  CHECK(allclose(t({1.05}), t({1}), 0.1, 0));
  CHECK_FALSE(allclose(t({1, 2}), t({1, 2}).reshape({2, 1})));
  CHECK_FALSE(allclose(t({nan}), t({nan})));  // NaNs are never close, as torch.allclose by default
  CHECK_FALSE(allclose(t({1}), t({nan})));
  CHECK(allclose(t({inf, -inf}), t({inf, -inf})));  // equal infinities are close, as in PyTorch
  CHECK_FALSE(allclose(t({inf}), t({-inf})));
  CHECK_FALSE(allclose(t({inf}), t({1e300})));
  CHECK_FALSE(allclose(t({1e300}), t({inf})));  // not within rtol * inf of an infinity
  CHECK_FALSE(allclose(t({0}), t({-inf})));
  CHECK(allclose(Tensor<double>(), Tensor<double>()));
}

TEST_CASE("Tensor: Eigen maps view the buffer without copying") {
  Tensor<float> t = counting({2, 3});
  t.as_array() += 1.0f;
  CHECK(t(1, 2) == 6);
  CHECK(t.as_array().sum() == 21);

  auto m = t.as_matrix();
  CHECK(m.rows() == 2);
  CHECK(m.cols() == 3);
  CHECK(m(1, 0) == t(1, 0));
  m(0, 2) = -5;
  CHECK(t(0, 2) == -5);
  auto col = t.as_matrix(6, 1);
  CHECK(col(4, 0) == t(1, 1));
  CHECK_THROWS_WITH_AS(t.as_matrix(4, 2), "as_matrix: [2,3] is not a 4x2 matrix", ShapeError);

  Tensor<float> r3 = counting({2, 3, 4});  // leading dims fold into rows
  const Tensor<float>& cr3 = r3;
  CHECK(cr3.as_matrix().rows() == 6);
  CHECK(cr3.as_matrix()(5, 3) == 23);
  CHECK_THROWS_WITH_AS(Tensor<float>(Shape{}).as_matrix(), "as_matrix: a scalar has no matrix view", ShapeError);

  Tensor<float> no_cols(Shape{2, 0});
  CHECK(no_cols.as_matrix().rows() == 2);
  CHECK(no_cols.as_matrix().cols() == 0);
  Tensor<float> no_rows(Shape{0, 3});
  CHECK(no_rows.as_matrix().rows() == 0);
  CHECK(no_rows.as_matrix().cols() == 3);
}

TEST_CASE("Tensor: to<U> converts every element") {
  Tensor<float> t = counting({2, 2});
  t(1, 1) = 2.75f;
  Tensor<int> i = t.to<int>();
  CHECK(i.shape() == Shape{2, 2});
  CHECK(i(1, 1) == 2);
  CHECK(i(1, 0) == 2);
  Tensor<double> d = t.to<double>();
  CHECK(d(1, 1) == 2.75);
  CHECK(Tensor<float>(Shape{0}).to<double>().numel() == 0);
  CHECK(std::string(duel::dtype_name<float>()) == "float32");
  CHECK(std::string(duel::dtype_name<double>()) == "float64");
  CHECK(std::string(duel::dtype_name<std::int64_t>()) == "int64");
  CHECK(std::string(duel::dtype_name<std::uint8_t>()) == "uint8");
}

TEST_CASE("Tensor: buffers are 64-byte aligned") {
  for (index_t n : {1, 3, 5, 17, 100, 1001}) {
    CHECK(aligned64(Tensor<float>(Shape{n}).data()));
    CHECK(aligned64(Tensor<double>::empty({n, 3}).data()));
    CHECK(aligned64(counting({n}).clone().data()));
    CHECK(aligned64(counting({n}).to<std::int32_t>().data()));
  }
}
