#include "duel/tensor/reduce.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "test_util.hpp"

using namespace duel;
using namespace duel::test;

namespace {

// Sums x into `kept` (x's shape with some sizes 1) by visiting every element of x once.
Tensor<double> naive_sum_to(const Tensor<double>& x, const Shape& kept) {
  Tensor<double> out(kept);
  for (index_t i = 0; i < x.numel(); ++i) out.data()[broadcast_offset(x.shape(), kept, i)] += x.data()[i];
  return out;
}

}  // namespace

TEST_CASE("sum_dims matches a naive loop for random shapes, dims and keepdim") {
  duel::Generator gen(5);
  for (int trial = 0; trial < 300; ++trial) {
    Shape shape;
    const auto rank = static_cast<int>(gen.next_below(5));
    for (int d = 0; d < rank; ++d) shape.push_back(static_cast<index_t>(1 + gen.next_below(4)));
    std::vector<int> dims;
    Shape kept, dropped;
    for (int d = 0; d < rank; ++d) {
      if (gen.next_below(2) == 0) {
        dims.push_back(gen.next_below(2) == 0 ? d : d - rank);  // negative dims count from the end
        kept.push_back(1);
      } else {
        kept.push_back(shape[d]);
        dropped.push_back(shape[d]);
      }
    }
    if (dims.empty()) {  // an empty list reduces every dim
      kept = Shape();
      for (int d = 0; d < rank; ++d) kept.push_back(1);
      dropped = Shape();
    }
    const bool keepdim = gen.next_below(2) == 0;
    CAPTURE(shape);
    CAPTURE(kept);
    CAPTURE(keepdim);
    Tensor<double> x = random_integers(shape, gen);
    Tensor<double> expected = naive_sum_to(x, kept);
    check_close(duel::detail::sum_dims(x, dims, keepdim), expected.reshape(keepdim ? kept : dropped), 0, 0);
  }
}

TEST_CASE("sum_dims: hand-computed sums, empty tensors and errors") {
  using duel::detail::sum_dims;
  Tensor<double> x = duel::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  check_close(sum_dims(x, {0}, false), duel::from_vector<double>({5, 7, 9}));
  check_close(sum_dims(x, {-1}, true), duel::from_vector<double>({6, 15}, {2, 1}));
  check_close(sum_dims(x, {}, false), duel::from_vector<double>({21}, Shape{}));
  check_close(sum_dims(x, {0, 1}, true), duel::from_vector<double>({21}, {1, 1}));
  check_close(sum_dims(duel::from_vector<double>({4}, Shape{}), {}, false), duel::from_vector<double>({4}, Shape{}));
  check_close(sum_dims(Tensor<double>(Shape{0, 3}), {0}, false), Tensor<double>(Shape{3}));  // empty sums are 0
  CHECK(sum_dims(Tensor<double>(Shape{2, 0}), {0}, false).shape() == Shape{0});
  CHECK_THROWS_WITH_AS(sum_dims(x, {2}, false), "sum: dim 2 is out of range for shape [2,3]", ShapeError);
  CHECK_THROWS_WITH_AS(sum_dims(x, {1, -1}, false), "sum: dim -1 appears twice", ShapeError);
  CHECK(duel::detail::reduced_shape({2, 3, 4}, {1}, false, "sum") == Shape{2, 4});
  CHECK(duel::detail::reduced_shape({2, 3, 4}, {0, 2}, true, "sum") == Shape{1, 3, 1});
}

TEST_CASE("sum_to undoes broadcasting: a naive loop for random shape pairs") {
  for_random_broadcast_pairs(6, [](const Shape& small, const Shape& other, Generator& gen) {
    const Shape big = broadcast_shapes(small, other, "test");
    Tensor<double> x = random_integers(big, gen);
    Shape kept;  // small aligned to big's rank
    for (int d = 0; d < big.rank(); ++d) {
      const int ds = small.rank() - big.rank() + d;
      kept.push_back(ds >= 0 ? small[ds] : 1);
    }
    check_close(detail::sum_to(x, small), naive_sum_to(x, kept).reshape(small), 0, 0);
  });
}

TEST_CASE("sum_to: the same shape is returned as is; errors name both shapes") {
  using duel::detail::sum_to;
  Tensor<double> x = duel::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(sum_to(x, {2, 3}).shares_storage_with(x));
  check_close(sum_to(x, {3}), duel::from_vector<double>({5, 7, 9}));
  check_close(sum_to(x, {2, 1}), duel::from_vector<double>({6, 15}, {2, 1}));
  check_close(sum_to(x, {}), duel::from_vector<double>({21}, Shape{}));
  check_close(sum_to(Tensor<double>(Shape{0, 3}), {1, 3}), Tensor<double>(Shape{1, 3}));
  CHECK_THROWS_WITH_AS(sum_to(x, {4}), "sum_to: shapes [2,3] and [4] cannot be broadcast (dim 1: 3 vs 4)", ShapeError);
  CHECK_THROWS_WITH_AS(sum_to(x, {1, 2, 3}), "sum_to: [2,3] does not broadcast from [1,2,3]", ShapeError);
}

TEST_CASE("sum_dims over all but the channel dim: split over the threads, the same bits for any thread count") {
  ThreadCountGuard guard;
  duel::Generator gen(9);
  Tensor<float> x = Tensor<float>::empty({16, 8, 40, 40});  // 25,600 numbers per channel: a split at 2 and 3 threads
  for (index_t i = 0; i < x.numel(); ++i) x.data()[i] = static_cast<float>(gen.next_below(2001)) / 1000.0f - 1.0f;
  std::vector<Tensor<float>> sums;
  for (int threads : {1, 2, 3}) {
    duel::set_num_threads(threads);
    sums.push_back(duel::detail::sum_dims(x, {0, 2, 3}, false));
  }
  for (index_t c = 0; c < 8; ++c) {
    double expected = 0;
    for (index_t n = 0; n < 16; ++n)
      for (index_t p = 0; p < 1600; ++p) expected += x.data()[(n * 8 + c) * 1600 + p];
    CAPTURE(c);
    CHECK(sums[0].data()[c] == doctest::Approx(expected).epsilon(1e-5));
    CHECK(sums[1].data()[c] == sums[0].data()[c]);
    CHECK(sums[2].data()[c] == sums[0].data()[c]);
  }
}
