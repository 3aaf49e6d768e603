#include "duel/tensor/shape.hpp"

#include <doctest/doctest.h>

#include <sstream>

using duel::Shape;
using duel::ShapeError;

TEST_CASE("Shape: rank, sizes, numel and str") {
  Shape s{2, 3, 4};
  CHECK(s.rank() == 3);
  CHECK(s[0] == 2);
  CHECK(s[2] == 4);
  CHECK(s.back() == 4);
  CHECK(s.numel() == 24);
  CHECK(s.str() == "[2,3,4]");
  std::ostringstream out;
  out << s;
  CHECK(out.str() == "[2,3,4]");

  Shape scalar;  // rank 0 holds one element, as a 0-d tensor does
  CHECK(scalar.rank() == 0);
  CHECK(scalar.numel() == 1);
  CHECK(scalar.str() == "[]");
  CHECK(Shape{}.numel() == 1);

  CHECK(Shape{4, 0, 3}.numel() == 0);
  CHECK(Shape{1}.numel() == 1);
}

TEST_CASE("Shape: negative sizes and too many dims are rejected") {
  CHECK_THROWS_WITH_AS(Shape({2, -2}), "Shape: negative size -2", ShapeError);
  CHECK(Shape{1, 1, 1, 1, 1, 1, 1, 2}.rank() == Shape::max_rank);
  CHECK_THROWS_WITH_AS(Shape({1, 1, 1, 1, 1, 1, 1, 1, 1}), "Shape: rank 9 exceeds the maximum of 8", ShapeError);
  Shape full{1, 1, 1, 1, 1, 1, 1, 1};
  CHECK_THROWS_AS(full.push_back(2), ShapeError);
  Shape s{2};
  s.push_back(5);
  CHECK(s == Shape{2, 5});
}

TEST_CASE("Shape: normalize_dim and size count negative dims from the end") {
  Shape s{2, 3, 4};
  CHECK(s.normalize_dim(0, "op") == 0);
  CHECK(s.normalize_dim(2, "op") == 2);
  CHECK(s.normalize_dim(-1, "op") == 2);
  CHECK(s.normalize_dim(-3, "op") == 0);
  CHECK(s.size(-1) == 4);
  CHECK(s.size(1) == 3);
  CHECK_THROWS_WITH_AS(s.normalize_dim(3, "sum"), "sum: dim 3 is out of range for shape [2,3,4]", ShapeError);
  CHECK_THROWS_WITH_AS(s.normalize_dim(-4, "cat"), "cat: dim -4 is out of range for shape [2,3,4]", ShapeError);
  CHECK_THROWS_WITH_AS(s.size(7), "size: dim 7 is out of range for shape [2,3,4]", ShapeError);
  CHECK_THROWS_AS(Shape{}.normalize_dim(0, "op"), ShapeError);  // a scalar has no dims
}

TEST_CASE("Shape: row-major strides") {
  auto st = Shape{2, 3, 4}.strides();
  CHECK(st[0] == 12);
  CHECK(st[1] == 4);
  CHECK(st[2] == 1);
  auto with_zero = Shape{2, 0, 3}.strides();
  CHECK(with_zero[0] == 0);
  CHECK(with_zero[1] == 3);
  CHECK(with_zero[2] == 1);
  CHECK(Shape{7}.strides()[0] == 1);
}

TEST_CASE("Shape: equality compares rank and sizes") {
  CHECK(Shape{2, 3} == Shape{2, 3});
  CHECK_FALSE(Shape{2, 3} == Shape{3, 2});
  CHECK_FALSE(Shape{2} == Shape{2, 1});
  CHECK_FALSE(Shape{} == Shape{1});
  CHECK(Shape{} == Shape{});
}

TEST_CASE("broadcast_shapes aligns at the right and stretches size-1 dims") {
  using duel::broadcast_shapes;
  CHECK(broadcast_shapes({3, 1, 4}, {2, 4}, "op") == Shape{3, 2, 4});
  CHECK(broadcast_shapes({5}, {3, 5}, "op") == Shape{3, 5});
  CHECK(broadcast_shapes({3, 5}, {5}, "op") == Shape{3, 5});
  CHECK(broadcast_shapes({}, {2, 3}, "op") == Shape{2, 3});
  CHECK(broadcast_shapes({}, {}, "op") == Shape{});
  CHECK(broadcast_shapes({1}, {1, 1, 1}, "op") == Shape{1, 1, 1});
  CHECK(broadcast_shapes({0}, {1}, "op") == Shape{0});
  CHECK(broadcast_shapes({2, 1}, {1, 0}, "op") == Shape{2, 0});
  CHECK(broadcast_shapes({4, 1, 3, 1}, {5, 1, 6}, "op") == Shape{4, 5, 3, 6});
}

TEST_CASE("broadcast_shapes names the op, both shapes and the clashing dim") {
  using duel::broadcast_shapes;
  CHECK_THROWS_WITH_AS(broadcast_shapes({2, 3}, {4}, "add"), "add: shapes [2,3] and [4] cannot be broadcast (dim 1: 3 vs 4)",
                       ShapeError);
  CHECK_THROWS_WITH_AS(broadcast_shapes({2, 3, 4}, {5, 1, 4}, "mul"),
                       "mul: shapes [2,3,4] and [5,1,4] cannot be broadcast (dim 0: 2 vs 5)", ShapeError);
  CHECK_THROWS_AS(broadcast_shapes({0}, {2}, "op"), ShapeError);  // 0 is not 1: it does not stretch
}
