#include "duel/tensor/broadcast.hpp"

#include <doctest/doctest.h>

#include "test_util.hpp"

using namespace duel;
using namespace duel::test;

namespace {

// out[i] = a[..] - 3 b[..] by the definition of broadcasting, one element at a time.
Tensor<double> naive_binary(const Tensor<double>& a, const Tensor<double>& b) {
  Tensor<double> out = Tensor<double>::empty(duel::broadcast_shapes(a.shape(), b.shape(), "naive"));
  for (index_t i = 0; i < out.numel(); ++i) {
    out.data()[i] = a.data()[broadcast_offset(out.shape(), a.shape(), i)] - 3 * b.data()[broadcast_offset(out.shape(), b.shape(), i)];
  }
  return out;
}

Tensor<double> naive_broadcast_to(const Tensor<double>& x, const Shape& shape) {
  Tensor<double> out = Tensor<double>::empty(shape);
  for (index_t i = 0; i < out.numel(); ++i) out.data()[i] = x.data()[broadcast_offset(shape, x.shape(), i)];
  return out;
}

auto minus_three = [](double x, double y) { return x - 3 * y; };

}  // namespace

TEST_CASE("broadcast_binary matches the definition on many random shape pairs") {
  for_random_broadcast_pairs(1, [](const Shape& sa, const Shape& sb, Generator& gen) {
    Tensor<double> a = random_integers(sa, gen), b = random_integers(sb, gen);
    check_close(detail::broadcast_binary(a, b, "test", minus_three), naive_binary(a, b), 0, 0);
  });
}

TEST_CASE("broadcast_binary: hand-picked shapes, rank 0, size 0 and the error") {
  using duel::detail::broadcast_binary;
  auto t = [](std::vector<double> v, const Shape& s) { return duel::from_vector(v, s); };
  check_close(broadcast_binary(t({1, 2, 3, 4, 5, 6}, {2, 3}), t({10, 20, 30}, {3}), "add", std::plus<>()),
              t({11, 22, 33, 14, 25, 36}, {2, 3}));
  check_close(broadcast_binary(t({1, 2}, {2, 1}), t({10, 20, 30}, {1, 3}), "add", std::plus<>()),
              t({11, 21, 31, 12, 22, 32}, {2, 3}));
  check_close(broadcast_binary(t({5}, {}), t({1, 2}, {2}), "sub", std::minus<>()), t({4, 3}, {2}));
  check_close(broadcast_binary(t({5}, {}), t({2}, {}), "sub", std::minus<>()), t({3}, {}));
  CHECK(broadcast_binary(Tensor<double>(Shape{0, 3}), t({1, 2, 3}, {3}), "add", std::plus<>()).shape() == Shape{0, 3});
  CHECK(broadcast_binary(Tensor<double>(Shape{2, 0}), Tensor<double>(Shape{1, 1}), "add", std::plus<>()).shape() == Shape{2, 0});
  CHECK_THROWS_WITH_AS(broadcast_binary(Tensor<double>(Shape{2, 3}), Tensor<double>(Shape{4}), "add", std::plus<>()),
                       "add: shapes [2,3] and [4] cannot be broadcast (dim 1: 3 vs 4)", ShapeError);
}

TEST_CASE("BroadcastLoops merges dims that are contiguous in both operands") {
  duel::detail::BroadcastLoops same({2, 3, 4}, {2, 3, 4}, {2, 3, 4});
  CHECK(same.rank == 1);
  CHECK(same.size[0] == 24);
  duel::detail::BroadcastLoops rows({2, 3, 4}, {2, 3, 4}, {1, 3, 4});  // [2] outer, [12] inner
  CHECK(rows.rank == 2);
  CHECK(rows.size[0] == 2);
  CHECK(rows.size[1] == 12);
  duel::detail::BroadcastLoops channels({2, 3, 5, 5}, {2, 3, 5, 5}, {1, 3, 1, 1});
  CHECK(channels.rank == 3);  // batch (b repeats), channel (b steps), 25 pixels (b repeats)
  CHECK(channels.size[0] == 2);
  CHECK(channels.size[1] == 3);
  CHECK(channels.size[2] == 25);
  CHECK(channels.stride_b[1] == 1);
  CHECK(channels.stride_b[2] == 0);
}

TEST_CASE("broadcast_to matches the definition on many random shapes") {
  for_random_broadcast_pairs(2, [](const Shape& sa, const Shape& sb, Generator& gen) {
    const Shape target = broadcast_shapes(sa, sb, "test");
    Tensor<double> x = random_integers(sa, gen);
    check_close(detail::broadcast_to(x, target), naive_broadcast_to(x, target), 0, 0);
  });
}

TEST_CASE("broadcast_to: the same shape is returned as is; other shapes must broadcast to the target") {
  using duel::detail::broadcast_to;
  Tensor<double> x = duel::from_vector<double>({1, 2, 3}, {3, 1});
  CHECK(broadcast_to(x, {3, 1}).shares_storage_with(x));
  CHECK(broadcast_to(x, {2, 3, 4}).shape() == Shape{2, 3, 4});
  CHECK(broadcast_to(x, {3, 0}).numel() == 0);
  CHECK_THROWS_WITH_AS(broadcast_to(x, {1, 4}), "broadcast_to: cannot broadcast [3,1] to [1,4]", ShapeError);
  CHECK_THROWS_WITH_AS(broadcast_to(x, {2, 4}), "broadcast_to: shapes [3,1] and [2,4] cannot be broadcast (dim 0: 3 vs 2)",
                       ShapeError);
  CHECK_THROWS_AS(broadcast_to(x, {3}), ShapeError);  // a target of lower rank
  CHECK_THROWS_AS(broadcast_to(x, {}), ShapeError);
}
