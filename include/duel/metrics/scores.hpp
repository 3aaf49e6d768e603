// Scores of generated digits, as judged by the MNIST classifier (metrics/classifier.hpp).
//
//   FID              Fréchet distance between the classifier features of generated and real
//                    digits (frechet.hpp). 0 for the real digits themselves; lower is better.
//   Inception Score  exp(E_x[KL(p(y|x) || p(y))]) with p(y) = E_x[p(y|x)]: high when each image
//                    is clearly one digit (sharp p(y|x)) and all digits occur (flat p(y)).
//                    From 1 to 10, the number of classes (Salimans et al., 2016).
//   class entropy    -sum_c q_c ln q_c of the histogram q of predicted classes, in nats: ln 10 =
//                    2.303 when every digit is drawn equally often, 0 when the generator draws
//                    only one (mode collapse).
//   confidence       the mean of max_y p(y|x): low for blurry in-between shapes.
//   label accuracy   for a conditional generator asked for given digits, the fraction of images
//                    that the classifier reads as the digit asked for.
//
//   auto judge = metrics::Judge::load("data/mnist_classifier.safetensors", "data");
//   metrics::QualityReport r = judge.evaluate(generator.sample(2000, rng));
//   std::cout << r.table() << r.to_json() << '\n';
#pragma once

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "duel/data/mnist.hpp"
#include "duel/metrics/classifier.hpp"
#include "duel/metrics/frechet.hpp"

namespace duel::metrics {

struct QualityReport {
  index_t samples = 0;
  double fid = 0;
  double inception_score = 0;
  std::array<index_t, MnistClassifier::num_classes> class_counts{};  // how many images were read as each digit
  double class_entropy = 0;                                          // nats
  double mean_confidence = 0;
  std::optional<double> label_accuracy;  // only when requested labels were given

  // One JSON object on one line; numbers that are not finite are written as null.
  std::string to_json() const {
    std::string s = duel::detail::cat("{\"samples\":", samples, ",\"fid\":", number(fid, "%.6g"),
                                      ",\"inception_score\":", number(inception_score, "%.6g"),
                                      ",\"class_entropy\":", number(class_entropy, "%.6g"),
                                      ",\"mean_confidence\":", number(mean_confidence, "%.6g"), ",\"label_accuracy\":",
                                      label_accuracy ? number(*label_accuracy, "%.6g") : "null", ",\"class_counts\":[");
    for (std::size_t c = 0; c < class_counts.size(); ++c) s += duel::detail::cat(c ? "," : "", class_counts[c]);
    return s + "]}";
  }

  // The scores as aligned lines of text, each with what it means.
  std::string table() const {
    auto line = [](const char* label, const std::string& value, const char* meaning) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "  %-16s %9s   %s\n", label, value.c_str(), meaning);
      return std::string(buf);
    };
    std::string s = duel::detail::cat("quality of ", samples, " images, judged by ", MnistClassifier::architecture, "\n");
    s += line("FID", number(fid, "%.3f"), "to the real test digits (0: the same statistics)");
    s += line("Inception Score", number(inception_score, "%.3f"), "1 to 10 (10: every digit, each one clear)");
    s += line("class entropy", number(class_entropy, "%.3f"), "nats (ln 10 = 2.303: every digit equally often)");
    s += line("confidence", number(mean_confidence, "%.3f"), "mean of the largest class probability");
    if (label_accuracy) s += line("label accuracy", number(*label_accuracy, "%.3f"), "read as the digit asked for");
    s += "  digits          ";
    for (std::size_t c = 0; c < class_counts.size(); ++c) s += duel::detail::cat(" ", c, ":", class_counts[c]);
    return s + "\n";
  }

 private:
  static std::string number(double v, const char* format) {
    if (!std::isfinite(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
  }
};

// The report of images the classifier has seen (generated), against the feature statistics of
// real digits. requested: the class asked for of each image [N], or empty.
inline QualityReport quality_report(const Classified& generated, const FeatureStatistics& real,
                                    const Tensor<std::int64_t>& requested = {}) {
  const Tensor<float>& p = generated.probabilities;
  const index_t n = p.size(0), classes = MnistClassifier::num_classes;
  if (requested.numel() > 0 && !(requested.shape() == Shape{n})) {
    throw ShapeError(duel::detail::cat("quality_report: requested labels ", requested.shape(), " do not match ", n,
                                       " images"));
  }
  QualityReport r;
  r.samples = n;
  r.fid = frechet_distance(feature_statistics(generated.features), real);

  const Eigen::MatrixXd probs = p.as_matrix().cast<double>();
  const Eigen::RowVectorXd marginal = probs.colwise().mean();  // p(y)
  double kl_sum = 0, confidence_sum = 0;
  index_t right = 0;
  for (index_t i = 0; i < n; ++i) {
    Eigen::Index best = 0;
    confidence_sum += probs.row(i).maxCoeff(&best);
    ++r.class_counts[static_cast<std::size_t>(best)];
    for (index_t c = 0; c < classes; ++c) {
      const double q = probs(i, c);
      if (q > 0) kl_sum += q * std::log(q / marginal(c));  // 0 log 0 = 0
    }
    if (requested.numel() > 0) {
      const std::int64_t want = requested.data()[i];
      if (want < 0 || want >= classes) {
        throw ValueError(duel::detail::cat("quality_report: requested label ", want, " of image ", i, " is not a digit 0..9"));
      }
      right += best == want;
    }
  }
  const auto count = static_cast<double>(n);
  r.inception_score = std::exp(kl_sum / count);
  r.mean_confidence = confidence_sum / count;
  for (index_t k : r.class_counts) {
    if (k > 0) r.class_entropy -= static_cast<double>(k) / count * std::log(static_cast<double>(k) / count);
  }
  if (requested.numel() > 0) r.label_accuracy = static_cast<double>(right) / count;
  return r;
}

// A classifier together with the statistics of the real digits that generated ones are compared
// with, computed once.
class Judge {
 public:
  // real_images [N, 1, 28, 28] in [-1, 1]: the reference set (the 2,000 bundled test digits).
  Judge(std::shared_ptr<MnistClassifier> classifier, const Tensor<float>& real_images)
      : classifier_(std::move(classifier)) {
    if (!classifier_) throw ValueError("Judge: no classifier");
    real_ = feature_statistics(classify(*classifier_, real_images).features);
  }

  // The classifier saved in classifier_file, against the MNIST test digits found in mnist_dir.
  static Judge load(const std::filesystem::path& classifier_file, const std::filesystem::path& mnist_dir) {
    return Judge(load_classifier(classifier_file), all_images(data::load_mnist(mnist_dir, data::Split::test)));
  }

  // Scores images [N, 1, 28, 28] in [-1, 1], N >= 2; requested as in quality_report.
  QualityReport evaluate(const Tensor<float>& images, const Tensor<std::int64_t>& requested = {}) const {
    return quality_report(classify(*classifier_, images), real_, requested);
  }

  MnistClassifier& classifier() const { return *classifier_; }
  const FeatureStatistics& real_statistics() const { return real_; }

 private:
  std::shared_ptr<MnistClassifier> classifier_;
  FeatureStatistics real_;
};

}  // namespace duel::metrics
