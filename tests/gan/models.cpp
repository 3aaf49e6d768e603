#include "duel/gan/models.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

using duel::Shape;
using duel::Var;
using duel::index_t;
namespace gan = duel::gan;

namespace {

using Entries = std::vector<std::pair<std::string, Shape>>;

// The state dict's names and shapes, "name [shape]" one a line, to compare with PyTorch's.
std::string layout(const duel::nn::Module& m) {
  std::string s;
  for (const auto& [name, value] : m.state_dict()) s += duel::detail::cat(name, " ", value.shape(), "\n");
  return s;
}
std::string layout(const Entries& entries) {
  std::string s;
  for (const auto& [name, shape] : entries) s += duel::detail::cat(name, " ", shape, "\n");
  return s;
}

// What PyTorch's state_dict() holds for BatchNorm(n) at main.<i>: parameters, then buffers.
Entries batch_norm(const std::string& i, index_t n) {
  return {{"main." + i + ".weight", {n}}, {"main." + i + ".bias", {n}}, {"main." + i + ".running_mean", {n}},
          {"main." + i + ".running_var", {n}}, {"main." + i + ".num_batches_tracked", {}}};
}

// Duel lists every parameter before every buffer, PyTorch module by module; compare as sets.
std::string sorted_layout(Entries entries) {
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return layout(entries);
}
std::string sorted_layout(const duel::nn::Module& m) {
  Entries entries;
  for (const auto& [name, value] : m.state_dict()) entries.emplace_back(name, value.shape());
  return sorted_layout(std::move(entries));
}

Entries concat(std::initializer_list<Entries> parts) {
  Entries out;
  for (const Entries& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// G maps a batch of latents to images of image_shape(); D gives one logit per image.
void check_shapes(gan::GanModels& m, index_t n) {
  duel::Generator rng(5);
  const Var<float> z(m.generator->sample_latent(n, rng));
  const Var<float> images = (*m.generator)(z);
  Shape expected{n};
  for (index_t d : m.generator->image_shape()) expected.push_back(d);
  CHECK(images.shape() == expected);
  CHECK(m.discriminator->image_shape() == m.generator->image_shape());
  for (float v : images.value()) REQUIRE((v >= -1 && v <= 1));  // tanh output
  CHECK((*m.discriminator)(images).shape() == Shape{n, 1});
}

}  // namespace

TEST_CASE("mlp_gan: latents [N, 100] to images [N, 1, 28, 28] to logits [N, 1], PyTorch's names and sizes") {
  gan::GanModels m = gan::mlp_gan();
  check_shapes(m, 3);
  CHECK(m.generator->latent_shape() == Shape{100});
  // G is the reference's Sequential(Linear, LReLU, Linear, LReLU, Linear, Tanh) with an
  // Unflatten at the end; D flattens its input before main, so its names match too.
  CHECK(layout(*m.generator) == layout({{"main.0.weight", {256, 100}}, {"main.0.bias", {256}},
                                        {"main.2.weight", {512, 256}}, {"main.2.bias", {512}},
                                        {"main.4.weight", {784, 512}}, {"main.4.bias", {784}}}));
  CHECK(layout(*m.discriminator) == layout({{"main.0.weight", {512, 784}}, {"main.0.bias", {512}},
                                            {"main.2.weight", {256, 512}}, {"main.2.bias", {256}},
                                            {"main.4.weight", {1, 256}}, {"main.4.bias", {1}}}));
  CHECK(m.generator->num_parameters() == 559'632);  // sum(p.numel()) of the PyTorch reference
  CHECK(m.discriminator->num_parameters() == 533'505);
}

TEST_CASE("dcgan_mnist: the reference DCGAN-MNIST, with PyTorch's state_dict names, shapes and parameter count") {
  gan::GanModels m = gan::dcgan_mnist();
  check_shapes(m, 2);
  // G: Linear(100, 6272) BatchNorm1d ReLU Unflatten ConvT(128, 64, 4, 2, 1) BatchNorm2d ReLU ConvT(64, 1, 4, 2, 1) Tanh
  const Entries g = concat({{{"main.0.weight", {6272, 100}}, {"main.0.bias", {6272}}},
                            batch_norm("1", 6272),
                            {{"main.4.weight", {128, 64, 4, 4}}, {"main.4.bias", {64}}},
                            batch_norm("5", 64),
                            {{"main.7.weight", {64, 1, 4, 4}}, {"main.7.bias", {1}}}});
  // D: Conv(1, 64, 4, 2, 1) LReLU Conv(64, 128, 4, 2, 1) BatchNorm2d LReLU Flatten Linear(6272, 1)
  const Entries d = concat({{{"main.0.weight", {64, 1, 4, 4}}, {"main.0.bias", {64}}},
                            {{"main.2.weight", {128, 64, 4, 4}}, {"main.2.bias", {128}}},
                            batch_norm("3", 128),
                            {{"main.6.weight", {1, 6272}}, {"main.6.bias", {1}}}});
  CHECK(sorted_layout(*m.generator) == sorted_layout(g));
  CHECK(sorted_layout(*m.discriminator) == sorted_layout(d));
  // 6272*100 + 6272 + 2*6272 + 128*64*16 + 64 + 2*64 + 64*16 + 1, as sum(p.numel()) in PyTorch.
  CHECK(m.generator->num_parameters() == 778'305);
  // 64*16 + 64 + 64*128*16 + 128 + 2*128 + 6272 + 1
  CHECK(m.discriminator->num_parameters() == 138'817);
}

TEST_CASE("dcgan_mnist: DCGAN initialisation, convolutions N(0, 0.02) and batch-norm scales N(1, 0.02)") {
  duel::manual_seed(4);
  gan::GanModels m = gan::dcgan_mnist();
  auto params = m.discriminator->named_parameters();
  auto moments = [](const duel::Tensor<float>& t) {
    double s = 0, s2 = 0;
    for (float v : t) {
      s += v;
      s2 += double(v) * v;
    }
    const double mean = s / static_cast<double>(t.numel());
    return std::pair{mean, std::sqrt(s2 / static_cast<double>(t.numel()) - mean * mean)};
  };
  const auto [conv_mean, conv_std] = moments(params[2].second.value());  // main.2.weight, 131,072 values
  CHECK(params[2].first == "main.2.weight");
  CHECK(std::abs(conv_mean) < 1e-3);
  CHECK(conv_std == doctest::Approx(0.02).epsilon(0.02));
  const auto [bn_mean, bn_std] = moments(params[4].second.value());  // main.3.weight
  CHECK(params[4].first == "main.3.weight");
  CHECK(bn_mean == doctest::Approx(1).epsilon(0.01));
  CHECK(bn_std == doctest::Approx(0.02).epsilon(0.3));
  for (float v : params[5].second.value()) REQUIRE(v == 0);  // main.3.bias
}

TEST_CASE("dcgan_mnist with pack 4: the critic judges groups of 4 images stacked as channels") {
  gan::DcganMnistDiscriminator D(4);
  CHECK(D.main->state_dict().at("0.weight").shape() == Shape{64, 4, 4, 4});
  duel::Generator rng(5);
  const Var<float> x(duel::randn<float>({8, 1, 28, 28}, rng));
  const Var<float> logits = D(x);
  CHECK(logits.shape() == Shape{2, 1});
  // group g is images 4g .. 4g+3, in order, as the 4 channels of one input
  const Var<float> groups(x.value().reshape({2, 4, 28, 28}).clone());
  CHECK(duel::allclose(D.main->forward(groups).value(), logits.value(), 0.0, 0.0));
  CHECK_THROWS_WITH_AS(D(Var<float>(duel::zeros<float>({6, 1, 28, 28}))),
                       doctest::Contains("judges groups of 4 images, but got [6,1,28,28]"), duel::ShapeError);
  CHECK_THROWS_AS(gan::DcganMnistDiscriminator(0), duel::ValueError);
}

TEST_CASE("dcgan64: the DCGAN of pytorch/examples at width 64 has PyTorch's parameter counts") {
  gan::GanModels m = gan::dcgan64();
  CHECK(m.generator->latent_shape() == Shape{100, 1, 1});
  CHECK(m.generator->image_shape() == Shape{3, 64, 64});
  CHECK(m.generator->num_parameters() == 3'576'704);
  CHECK(m.discriminator->num_parameters() == 2'765'568);
  const auto g = m.generator->state_dict();
  CHECK(g.at("main.0.weight").shape() == Shape{100, 512, 4, 4});  // no biases anywhere in the convolutions
  CHECK(!g.contains("main.0.bias"));
  CHECK(g.at("main.12.weight").shape() == Shape{64, 3, 4, 4});
  CHECK(m.discriminator->state_dict().at("main.11.weight").shape() == Shape{1, 512, 4, 4});
}

TEST_CASE("dcgan64: a small width and one channel map [N, 16, 1, 1] to [N, 1, 64, 64] to [N, 1]") {
  gan::GanModels m = gan::dcgan64({.latent_dim = 16, .width = 4, .channels = 1});
  check_shapes(m, 2);
  CHECK(m.generator->image_shape() == Shape{1, 64, 64});
  CHECK(m.generator->state_dict().at("main.9.weight").shape() == Shape{8, 4, 4, 4});
}

TEST_CASE("make_models rebuilds each model from the config it carries") {
  for (gan::GanModels original : {gan::mlp_gan(12), gan::dcgan_mnist(20), gan::dcgan_mnist(20, 4), gan::dcgan64({.latent_dim = 8, .width = 2, .channels = 3}),
                                  gan::cgan_mnist(16, 4)}) {
    CAPTURE(original.config.at("model"));
    const gan::GanModels rebuilt = gan::make_models(original.config);
    CHECK(rebuilt.config == original.config);
    CHECK(rebuilt.generator->name() == original.generator->name());
    CHECK(rebuilt.generator->latent_shape() == original.generator->latent_shape());
    CHECK(layout(*rebuilt.generator) == layout(*original.generator));
    CHECK(layout(*rebuilt.discriminator) == layout(*original.discriminator));
  }
  CHECK(gan::make_models({{"model", "dcgan_mnist"}}).generator->latent_shape() == Shape{100});  // the default
  CHECK(layout(*gan::make_models({{"model", "dcgan_mnist"}}).discriminator) == layout(*gan::dcgan_mnist().discriminator));
}

TEST_CASE("make_models refuses a config without a known model name") {
  CHECK_THROWS_WITH_AS(gan::make_models({{"model", "stylegan"}}), doctest::Contains("unknown model 'stylegan'"), duel::ValueError);
  CHECK_THROWS_AS(gan::make_models({{"latent_dim", "100"}}), duel::ValueError);
}

TEST_CASE("cgan_mnist: latents [N, 100] and labels [N] to digits; the discriminator is a projection") {
  gan::GanModels m = gan::cgan_mnist();
  gan::Generator& G = *m.generator;
  gan::Discriminator& D = *m.discriminator;
  CHECK(G.num_classes() == 10);
  CHECK(D.num_classes() == 10);
  CHECK(m.config.at("num_classes") == "10");
  duel::Generator rng(3);
  const duel::Tensor<std::int64_t> labels = duel::from_vector<std::int64_t>({0, 7, 7, 9});
  const duel::Tensor<float> images = G.sample(4, rng, labels);
  CHECK(images.shape() == Shape{4, 1, 28, 28});
  const duel::Var<float> x(images);

  // D(x, y) = w^T phi(x) + b + E(y)^T phi(x), term by term.
  auto& P = dynamic_cast<gan::ProjectionDiscriminator&>(D);
  const duel::Var<float> phi = P.features->forward(x);
  CHECK(phi.shape() == Shape{4, 128 * 7 * 7});
  const duel::Var<float> expected = (*P.score)(phi) + duel::sum(phi * (*P.class_embedding)(labels), {1}, true);
  CHECK(duel::allclose(D.judge(x, labels).value(), expected.value(), 1e-6, 1e-6));

  // The label changes the image: the same noise drawn as a 0 and as a 7 (one image at a time,
  // so with the running batch-norm statistics).
  G.eval();
  duel::Generator a(5), b(5);
  const duel::Tensor<float> zeros = G.sample(1, a, duel::from_vector<std::int64_t>({0}));
  const duel::Tensor<float> sevens = G.sample(1, b, duel::from_vector<std::int64_t>({7}));
  CHECK(!duel::allclose(zeros, sevens, 1e-3, 1e-3));
}

TEST_CASE("cgan_mnist: missing, mis-shaped or out-of-range labels are named") {
  gan::GanModels m = gan::cgan_mnist(8, 3);
  duel::Generator rng(1);
  CHECK_THROWS_WITH_AS(m.generator->sample(2, rng), doctest::Contains("CganMnistGenerator is conditional"), duel::ShapeError);
  CHECK_THROWS_WITH_AS(m.generator->sample(2, rng, duel::from_vector<std::int64_t>({0, 1, 2})),
                       doctest::Contains("[3]"), duel::ShapeError);
  CHECK_THROWS_WITH_AS(m.generator->sample(2, rng, duel::from_vector<std::int64_t>({0, 3})), doctest::Contains("label 3 is not in [0, 3)"),
                       duel::ValueError);
  const duel::Var<float> x(duel::zeros<float>({2, 1, 28, 28}));
  CHECK_THROWS_WITH_AS(m.discriminator->judge(x, {}), doctest::Contains("ProjectionDiscriminator is conditional"), duel::ShapeError);
  // An unconditional generator refuses labels rather than ignoring them.
  gan::GanModels plain = gan::mlp_gan(8);
  CHECK_THROWS_AS(plain.generator->sample(2, rng, duel::from_vector<std::int64_t>({0, 1})), duel::ValueError);
}
