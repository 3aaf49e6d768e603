#include "duel/metrics/frechet.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "duel/tensor/factories.hpp"

namespace metrics = duel::metrics;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

MatrixXd random_matrix(Eigen::Index rows, Eigen::Index cols, duel::Generator& gen) {
  return duel::randn<double>({rows, cols}, gen).as_matrix();
}

// A random symmetric PSD matrix A A^T; two of them almost never commute.
MatrixXd random_covariance(Eigen::Index d, duel::Generator& gen) {
  const MatrixXd a = random_matrix(d, d, gen);
  return a * a.transpose();
}

// A rows x cols matrix from row-major values.
MatrixXd matrix(Eigen::Index rows, Eigen::Index cols, std::initializer_list<double> values) {
  MatrixXd m(rows, cols);
  auto it = values.begin();
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < cols; ++j) m(i, j) = *it++;
  }
  return m;
}

}  // namespace

TEST_CASE("feature_statistics: the mean and the unbiased covariance (N - 1), as numpy.cov") {
  const auto stats = metrics::feature_statistics(duel::from_vector<float>({1, 2, 3, 4, 5, 0}, {3, 2}));
  CHECK(stats.mean.isApprox((VectorXd(2) << 3, 2).finished()));
  CHECK(stats.covariance.isApprox(matrix(2, 2, {4, -2, -2, 4})));
  CHECK_THROWS_WITH_AS(metrics::feature_statistics(duel::zeros<float>({1, 8})),
                       "feature_statistics: features must be [N, D] with N >= 2 and D >= 1, got [1,8]",
                       duel::ShapeError);
}

TEST_CASE("frechet_distance: identical sets are at distance 0, shifted ones at the squared shift") {
  duel::Generator gen(31);
  const duel::Tensor<float> x = duel::randn<float>({500, 16}, gen);
  const double same = metrics::frechet_distance(x, x);
  CHECK(same >= 0);
  CHECK(same < 1e-9);

  duel::Tensor<float> shifted = x.clone();
  double squared_shift = 0;
  for (duel::index_t j = 0; j < 16; ++j) {
    const auto s = static_cast<float>(0.25 * static_cast<double>(j % 5) - 0.5);
    squared_shift += static_cast<double>(s) * s;
    for (duel::index_t i = 0; i < 500; ++i) shifted(i, j) += s;
  }
  CHECK(metrics::frechet_distance(x, shifted) == doctest::Approx(squared_shift).epsilon(1e-5));
}

TEST_CASE("frechet_distance: diagonal covariances give sum (sqrt a - sqrt b)^2") {
  const VectorXd a = (VectorXd(4) << 1, 4, 0.25, 9).finished(), b = (VectorXd(4) << 4, 1, 1, 0).finished();
  const VectorXd mu = VectorXd::Zero(4);
  const double expected = (a.cwiseSqrt() - b.cwiseSqrt()).squaredNorm();  // 1 + 1 + 0.25 + 9
  CHECK(expected == doctest::Approx(11.25));
  CHECK(metrics::frechet_distance(mu, a.asDiagonal().toDenseMatrix(), mu, b.asDiagonal().toDenseMatrix()) ==
        doctest::Approx(expected).epsilon(1e-12));
}

TEST_CASE("frechet_distance is symmetric, also for covariances that do not commute") {
  duel::Generator gen(7);
  for (int trial = 0; trial < 5; ++trial) {
    const MatrixXd c1 = random_covariance(6, gen), c2 = random_covariance(6, gen);
    REQUIRE(!(c1 * c2).isApprox(c2 * c1));
    const VectorXd mu1 = random_matrix(6, 1, gen), mu2 = random_matrix(6, 1, gen);
    CHECK(metrics::frechet_distance(mu1, c1, mu2, c2) ==
          doctest::Approx(metrics::frechet_distance(mu2, c2, mu1, c1)).epsilon(1e-10));
  }
}

// The values printed by tests/metrics/make_frechet_reference.py (scipy.linalg.sqrtm, pytorch-fid's
// formula) for the same factors: C = A A^T.
TEST_CASE("frechet_distance matches SciPy's sqrtm on covariances that do not commute") {
  SUBCASE("full rank") {
    const MatrixXd a1 = matrix(3, 3, {1.0, 0.2, 0.0, 0.3, 1.5, -0.4, -0.2, 0.1, 0.8});
    const MatrixXd a2 = matrix(3, 3, {0.7, -0.3, 0.5, 0.0, 1.1, 0.2, 0.4, 0.0, 1.3});
    const VectorXd mu1 = (VectorXd(3) << 0.5, -1.0, 2.0).finished(), mu2 = (VectorXd(3) << 0.0, 0.25, 1.5).finished();
    const double d = metrics::frechet_distance(mu1, a1 * a1.transpose(), mu2, a2 * a2.transpose());
    CHECK(d == doctest::Approx(3.5234911489630889).epsilon(1e-12));
  }
  SUBCASE("a singular covariance (rank 2 of 4)") {
    // sqrtm itself is only good to ~1e-9 on a singular product, hence the looser tolerance.
    const MatrixXd a1 = matrix(4, 2, {1.0, 0.0, 0.5, 1.0, -1.0, 0.5, 0.25, -0.75});
    const MatrixXd a2 =
        matrix(4, 4, {1.2, 0.1, 0.0, 0.3, 0.0, 0.9, -0.2, 0.0, 0.4, 0.0, 1.0, 0.1, 0.0, -0.3, 0.2, 0.8});
    const VectorXd mu1 = (VectorXd(4) << 1.0, 0.0, -0.5, 0.25).finished();
    const VectorXd mu2 = (VectorXd(4) << 0.75, 0.5, -0.5, 0.0).finished();
    const double d = metrics::frechet_distance(mu1, a1 * a1.transpose(), mu2, a2 * a2.transpose());
    CHECK(d == doctest::Approx(3.3783457492741711).epsilon(1e-8));
  }
}

TEST_CASE("frechet_distance: shapes that do not fit are named") {
  const VectorXd mu3 = VectorXd::Zero(3), mu4 = VectorXd::Zero(4);
  const MatrixXd c3 = MatrixXd::Identity(3, 3), c4 = MatrixXd::Identity(4, 4);
  CHECK_THROWS_WITH_AS(metrics::frechet_distance(mu3, c4, mu3, c3),
                       "frechet_distance: mean 1 [3] and covariance 1 [4,4] do not fit", duel::ShapeError);
  CHECK_THROWS_WITH_AS(metrics::frechet_distance(mu3, c3, mu4, c4),
                       "frechet_distance: the two means [3] and [4] differ in size", duel::ShapeError);
  CHECK_THROWS_WITH_AS(metrics::frechet_distance(duel::zeros<float>({10, 128}), duel::zeros<float>({10, 64})),
                       "frechet_distance: features [10,128] and [10,64] are not two [N, D] sets of the same width D",
                       duel::ShapeError);
}
