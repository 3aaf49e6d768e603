#include "duel/metrics/scores.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

namespace metrics = duel::metrics;
using duel::index_t;
using duel::Tensor;

namespace {

// The bundled classifier against the 2,000 bundled test digits, loaded once for every test.
struct RealDigits {
  duel::data::Dataset test = duel::data::load_mnist(DUEL_DATA_DIR, duel::data::Split::test);
  Tensor<float> images = metrics::all_images(test);
  metrics::Judge judge{metrics::load_classifier(DUEL_DATA_DIR "/mnist_classifier.safetensors"), images};
};

const RealDigits& real() {
  static const RealDigits r;
  return r;
}

// The test digits of one class.
Tensor<float> digits_of_class(std::int64_t c) {
  std::vector<index_t> rows;
  for (index_t i = 0; i < real().test.size(); ++i) {
    if (real().test.labels.data()[i] == c) rows.push_back(i);
  }
  const auto n = static_cast<index_t>(rows.size());
  Tensor<float> out = Tensor<float>::empty({n, 1, 28, 28});
  for (index_t k = 0; k < n; ++k) {
    std::copy_n(real().images.data() + rows[static_cast<std::size_t>(k)] * 784, 784, out.data() + k * 784);
  }
  return out;
}

// Classifier outputs made up directly: one-hot probabilities of the given classes, random features.
metrics::Classified one_hot(const std::vector<int>& classes) {
  const auto n = static_cast<index_t>(classes.size());
  metrics::Classified c{duel::randn<float>({n, metrics::MnistClassifier::feature_dim}),
                        duel::zeros<float>({n, metrics::MnistClassifier::num_classes})};
  for (index_t i = 0; i < n; ++i) c.probabilities(i, classes[static_cast<std::size_t>(i)]) = 1;
  return c;
}

}  // namespace

TEST_CASE("quality_report: Inception Score, class entropy and confidence of known probabilities") {
  const metrics::FeatureStatistics reference = metrics::feature_statistics(duel::randn<float>({50, 128}));
  std::vector<int> every_digit;
  for (int i = 0; i < 50; ++i) every_digit.push_back(i % 10);
  const metrics::QualityReport all = metrics::quality_report(one_hot(every_digit), reference);
  CHECK(all.inception_score == doctest::Approx(10));  // sure of each image, every class equally often
  CHECK(all.class_entropy == doctest::Approx(std::log(10.0)));
  CHECK(all.mean_confidence == doctest::Approx(1));
  for (index_t k : all.class_counts) CHECK(k == 5);
  CHECK(!all.label_accuracy);

  const metrics::QualityReport collapsed = metrics::quality_report(one_hot(std::vector<int>(50, 7)), reference);
  CHECK(collapsed.inception_score == doctest::Approx(1));  // one mode only
  CHECK(collapsed.class_entropy == doctest::Approx(0));
  CHECK(collapsed.class_counts[7] == 50);

  metrics::Classified unsure = one_hot(every_digit);
  unsure.probabilities.fill_(0.1f);  // every image equally likely any digit
  const metrics::QualityReport blurry = metrics::quality_report(unsure, reference);
  CHECK(blurry.inception_score == doctest::Approx(1));
  CHECK(blurry.mean_confidence == doctest::Approx(0.1));

  Tensor<std::int64_t> requested = Tensor<std::int64_t>::empty({50});
  for (index_t i = 0; i < 50; ++i) requested.data()[i] = i < 40 ? i % 10 : 0;  // the last 10 asked for a 0
  CHECK(*metrics::quality_report(one_hot(every_digit), reference, requested).label_accuracy == doctest::Approx(41.0 / 50));
  CHECK_THROWS_WITH_AS(metrics::quality_report(one_hot(every_digit), reference, Tensor<std::int64_t>({3})),
                       "quality_report: requested labels [3] do not match 50 images", duel::ShapeError);
}

TEST_CASE("QualityReport: one JSON line and an aligned table") {
  metrics::QualityReport r;
  r.samples = 2000;
  r.fid = 1.5;
  r.inception_score = 9.25;
  r.class_counts = {200, 200, 200, 200, 200, 200, 200, 200, 200, 200};
  r.class_entropy = std::log(10.0);
  r.mean_confidence = std::nan("");
  CHECK(r.to_json() ==
        "{\"samples\":2000,\"fid\":1.5,\"inception_score\":9.25,\"class_entropy\":2.30259,\"mean_confidence\":null,"
        "\"label_accuracy\":null,\"class_counts\":[200,200,200,200,200,200,200,200,200,200]}");
  const std::string table = r.table();
  CHECK(table.find("  FID                  1.500   ") != std::string::npos);
  CHECK(table.find("  Inception Score      9.250   ") != std::string::npos);
  CHECK(table.find("label accuracy") == std::string::npos);
  r.label_accuracy = 0.5;
  CHECK(r.table().find("  label accuracy       0.500   ") != std::string::npos);
  CHECK(r.to_json().find("\"label_accuracy\":0.5,") != std::string::npos);
}

TEST_CASE("the bundled classifier reads the real test digits well and scores them as perfect") {
  const metrics::QualityReport r = real().judge.evaluate(real().images, real().test.labels);
  CHECK(r.samples == 2000);
  CHECK(r.fid < 1e-6);
  CHECK(*r.label_accuracy >= 0.98);
  CHECK(r.inception_score > 9);
  CHECK(r.class_entropy > 2.28);
  CHECK(r.mean_confidence > 0.95);
}

TEST_CASE("a generator of only 3s, or of noise, is caught") {
  const metrics::Judge& judge = real().judge;
  const metrics::QualityReport threes = judge.evaluate(digits_of_class(3));
  Tensor<float> half = Tensor<float>::empty({1000, 1, 28, 28});  // real digits, only fewer of them
  std::copy_n(real().images.data(), half.numel(), half.data());
  const metrics::QualityReport real_half = judge.evaluate(half);
  INFO("only 3s: ", threes.to_json());
  CHECK(threes.class_entropy < 0.2);
  CHECK(threes.inception_score < 1.5);
  CHECK(threes.class_counts[3] > 0.95 * static_cast<double>(threes.samples));
  INFO("half of the real digits: ", real_half.to_json());
  CHECK(threes.fid > 20 * real_half.fid);

  duel::Generator gen(5);
  Tensor<float> noise = Tensor<float>::empty({500, 1, 28, 28});
  duel::uniform_(noise, -1, 1, gen);
  const metrics::QualityReport noisy = judge.evaluate(noise);
  INFO("noise: ", noisy.to_json());
  CHECK(noisy.fid > threes.fid);
}

TEST_CASE("classify: batches give the same outputs as one pass, and the training mode is kept") {
  metrics::MnistClassifier& net = real().judge.classifier();
  Tensor<float> some = Tensor<float>::empty({7, 1, 28, 28});
  std::copy_n(real().images.data(), some.numel(), some.data());
  const metrics::Classified whole = metrics::classify(net, some);
  const metrics::Classified batched = metrics::classify(net, some, 3);
  CHECK(duel::allclose(whole.features, batched.features, 1e-5, 1e-6));
  CHECK(duel::allclose(whole.probabilities, batched.probabilities, 1e-5, 1e-6));
  CHECK(!net.is_training());
  net.train();
  metrics::classify(net, some);  // classifies in eval mode, then puts training mode back
  CHECK(net.is_training());
  net.eval();
  CHECK_THROWS_WITH_AS(metrics::classify(net, duel::zeros<float>({2, 3, 64, 64})),
                       "MnistClassifier: input [2,3,64,64] is not [N, 1, 28, 28] images", duel::ShapeError);
}
