// The Fréchet distance between two Gaussians, the "FD" of FID (Heusel et al., 2017).
//
// Fit a Gaussian to each set of feature vectors (mean mu, covariance C); their distance is
//   d^2 = ||mu1 - mu2||^2 + Tr(C1 + C2 - 2 (C1 C2)^(1/2))
// the 2-Wasserstein distance of the two Gaussians: 0 for equal statistics, growing with a shift of
// the means and with a difference in spread or in correlations.
//
// C1 C2 is not symmetric, but it is similar to the symmetric PSD matrix S C2 S with S = C1^(1/2):
// C1 C2 = S (S C2 S) S^-1. Similar matrices have the same eigenvalues, hence the same square-root
// trace: Tr((C1 C2)^(1/2)) = Tr((S C2 S)^(1/2)) = sum_i sqrt(lambda_i(S C2 S)). Two symmetric
// eigendecompositions thus give it exactly, in double precision, with no general matrix square
// root (whose iterations can go complex or fail to converge on singular covariances).
#pragma once

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "duel/tensor/shape.hpp"
#include "duel/tensor/tensor.hpp"

namespace duel::metrics {

// The mean and covariance of a set of feature vectors.
struct FeatureStatistics {
  Eigen::VectorXd mean;
  Eigen::MatrixXd covariance;
};

// Mean and unbiased covariance (divided by N - 1, as numpy.cov) of features [N, D], N >= 2.
template <class T>
FeatureStatistics feature_statistics(const Tensor<T>& features) {
  if (features.rank() != 2 || features.size(0) < 2 || features.size(1) < 1) {
    throw ShapeError(duel::detail::cat("feature_statistics: features must be [N, D] with N >= 2 and D >= 1, got ",
                                       features.shape()));
  }
  const Eigen::MatrixXd x = features.as_matrix().template cast<double>();
  FeatureStatistics s;
  s.mean = x.colwise().mean().transpose();
  const Eigen::MatrixXd centred = x.rowwise() - s.mean.transpose();
  s.covariance = centred.transpose() * centred / static_cast<double>(x.rows() - 1);
  return s;
}

namespace detail {

// The eigenvalues of a symmetric PSD matrix, with tiny negative ones (rounding) raised to 0.
inline Eigen::VectorXd psd_eigenvalues(const Eigen::MatrixXd& m) {
  const Eigen::MatrixXd sym = (m + m.transpose()) / 2;
  return Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(sym, Eigen::EigenvaluesOnly).eigenvalues().cwiseMax(0.0);
}

// C^(1/2) of a symmetric PSD matrix: V diag(sqrt(lambda)) V^T.
inline Eigen::MatrixXd psd_sqrt(const Eigen::MatrixXd& c) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig((c + c.transpose()) / 2);
  const Eigen::VectorXd root = eig.eigenvalues().cwiseMax(0.0).cwiseSqrt();
  return eig.eigenvectors() * root.asDiagonal() * eig.eigenvectors().transpose();
}

inline std::string shape_of(const Eigen::MatrixXd& m) {
  return duel::detail::cat(Shape{static_cast<index_t>(m.rows()), static_cast<index_t>(m.cols())});
}

inline void check_statistics(const char* which, const Eigen::VectorXd& mu, const Eigen::MatrixXd& c) {
  if (c.rows() != mu.size() || c.cols() != mu.size()) {
    throw ShapeError(duel::detail::cat("frechet_distance: mean ", which, " ", Shape{static_cast<index_t>(mu.size())},
                                       " and covariance ", which, " ", shape_of(c), " do not fit"));
  }
}

}  // namespace detail

// ||mu1 - mu2||^2 + Tr(C1) + Tr(C2) - 2 Tr((C1^(1/2) C2 C1^(1/2))^(1/2)). Rounding can leave a
// result of about -1e-13 for equal statistics; the distance is never negative, so that is 0.
inline double frechet_distance(const Eigen::VectorXd& mu1, const Eigen::MatrixXd& c1, const Eigen::VectorXd& mu2,
                               const Eigen::MatrixXd& c2) {
  detail::check_statistics("1", mu1, c1);
  detail::check_statistics("2", mu2, c2);
  if (mu1.size() != mu2.size()) {
    throw ShapeError(duel::detail::cat("frechet_distance: the two means ", Shape{static_cast<index_t>(mu1.size())},
                                       " and ", Shape{static_cast<index_t>(mu2.size())}, " differ in size"));
  }
  const Eigen::MatrixXd s1 = detail::psd_sqrt(c1);
  const double cross = detail::psd_eigenvalues(s1 * c2 * s1).cwiseSqrt().sum();
  const double d = (mu1 - mu2).squaredNorm() + c1.trace() + c2.trace() - 2 * cross;
  return std::max(d, 0.0);
}

inline double frechet_distance(const FeatureStatistics& a, const FeatureStatistics& b) {
  return frechet_distance(a.mean, a.covariance, b.mean, b.covariance);
}

// The distance between the Gaussians fitted to features_a [N, D] and features_b [M, D].
template <class T>
double frechet_distance(const Tensor<T>& features_a, const Tensor<T>& features_b) {
  if (features_a.rank() != 2 || features_b.rank() != 2 || features_a.size(1) != features_b.size(1)) {
    throw ShapeError(duel::detail::cat("frechet_distance: features ", features_a.shape(), " and ", features_b.shape(),
                                       " are not two [N, D] sets of the same width D"));
  }
  return frechet_distance(feature_statistics(features_a), feature_statistics(features_b));
}

}  // namespace duel::metrics
