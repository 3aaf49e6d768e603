#include "duel/tensor/factories.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "test_util.hpp"

using duel::Shape;
using duel::Tensor;
using namespace duel::test;

TEST_CASE("zeros, ones, full and the *_like versions") {
  auto z = duel::zeros({2, 3});
  static_assert(std::is_same_v<decltype(z), Tensor<float>>, "float is the default number type");
  CHECK(z.shape() == Shape{2, 3});
  check_all_equal(z, 0.0f);
  check_all_equal(duel::ones<double>({4}), 1.0);
  check_all_equal(duel::full<double>({2, 2, 2}, -1.5), -1.5);
  check_all_equal(duel::full<std::int64_t>({3}, 7), std::int64_t{7});
  CHECK(duel::full<double>({}, 3.0).item() == 3.0);
  CHECK(duel::zeros({0, 5}).numel() == 0);

  Tensor<double> x = duel::full<double>({3, 1}, 9.0);
  CHECK(duel::zeros_like(x).shape() == Shape{3, 1});
  check_all_equal(duel::zeros_like(x), 0.0);
  check_all_equal(duel::ones_like(x), 1.0);
}

TEST_CASE("arange: [start, end) by step, including negative steps and empty ranges") {
  check_close(duel::arange<double>(5), duel::from_vector<double>({0, 1, 2, 3, 4}));
  check_close(duel::arange<double>(1, 2, 0.25), duel::from_vector<double>({1, 1.25, 1.5, 1.75}));
  check_close(duel::arange<double>(5, 0, -2), duel::from_vector<double>({5, 3, 1}));
  check_close(duel::arange<double>(0, -1, -0.5), duel::from_vector<double>({0, -0.5}));
  CHECK(duel::arange<std::int64_t>(2, 11, 3).shape() == Shape{3});
  CHECK(duel::arange<std::int64_t>(2, 11, 3)(2) == 8);
  CHECK(duel::arange(0.0f, 1.0f, 0.1f).numel() == 10);
  CHECK(duel::arange<double>(3, 3).shape() == Shape{0});
  CHECK(duel::arange<double>(5, 0).numel() == 0);     // a positive step never reaches a smaller end
  CHECK(duel::arange<double>(0, 5, -1).numel() == 0);  // nor a negative step a larger one
  CHECK_THROWS_WITH_AS(duel::arange<double>(0, 1, 0), "arange: step must not be zero", duel::ValueError);
}

TEST_CASE("from_vector: rank 1 by default, any shape that holds exactly the values") {
  Tensor<double> v = duel::from_vector<double>({1, 2, 3, 4, 5, 6});
  CHECK(v.shape() == Shape{6});
  Tensor<double> m = duel::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(m(1, 0) == 4);
  CHECK(duel::from_vector<double>({2.5}, Shape{}).item() == 2.5);
  CHECK(duel::from_vector<double>({}).shape() == Shape{0});
  CHECK(duel::from_vector<double>({}, {2, 0}).shape() == Shape{2, 0});
  CHECK_THROWS_WITH_AS(duel::from_vector<double>({1, 2, 3, 4, 5}, {2, 3}),
                       "from_vector: 5 values do not fill shape [2,3]", duel::ShapeError);
  CHECK_THROWS_AS(duel::from_vector<double>({1}, Shape{0}), duel::ShapeError);
}

TEST_CASE("rand lies in [0, 1), uniform_ in [low, high), randn and normal_ have the asked moments") {
  duel::Generator gen(17);
  Tensor<float> u = duel::rand({100, 100}, gen);
  CHECK(*std::min_element(u.begin(), u.end()) >= 0.0f);
  CHECK(*std::max_element(u.begin(), u.end()) < 1.0f);
  CHECK(std::abs(u.as_array().mean() - 0.5f) < 0.01f);

  Tensor<double> w = Tensor<double>::empty({10000});
  duel::uniform_(w, -2, 3, gen);
  CHECK(*std::min_element(w.begin(), w.end()) >= -2.0);
  CHECK(*std::max_element(w.begin(), w.end()) < 3.0);
  CHECK(*std::max_element(w.begin(), w.end()) > 2.99);

  Tensor<double> z = duel::randn<double>({200, 100}, gen);
  CHECK(std::all_of(z.begin(), z.end(), [](double x) { return std::isfinite(x); }));
  CHECK(std::abs(z.as_array().mean()) < 0.03);

  Tensor<double> n = Tensor<double>::empty({20000});
  duel::normal_(n, 3.0, 0.5, gen);
  const double mean = n.as_array().mean();
  const double var = (n.as_array() - mean).square().mean();
  CHECK(std::abs(mean - 3.0) < 0.02);
  CHECK(std::abs(var - 0.25) < 0.01);

  Tensor<float> empty = duel::randn({0, 3}, gen);
  CHECK(empty.numel() == 0);
}
