#include "duel/gan/trainer.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "gan/gan_test.hpp"
#include "test_util.hpp"

using duel::Shape;
using duel::Tensor;
using duel::Var;
using duel::index_t;
using duel::test::GanSetup;
using duel::test::random_images;
namespace gan = duel::gan;
namespace nn = duel::nn;

namespace {

// Copies of a network's parameter values, to see which ones a step changed.
std::vector<Tensor<float>> snapshot(const nn::Module& m) {
  std::vector<Tensor<float>> out;
  for (const Var<float>& p : m.parameters()) out.push_back(p.value().clone());
  return out;
}

// How many of m's parameter tensors differ from the snapshot.
int changed(const nn::Module& m, const std::vector<Tensor<float>>& before) {
  int n = 0;
  const auto params = m.parameters();
  for (std::size_t i = 0; i < params.size(); ++i) n += duel::allclose(params[i].value(), before[i], 0, 0) ? 0 : 1;
  return n;
}

// A GAN on points of the plane rather than images: G maps 2-D noise through two hidden ReLU
// layers to a point, D scores a point through two hidden LeakyReLU layers.
constexpr index_t hidden = 64;

class PointGenerator : public gan::Generator {
 public:
  PointGenerator() {
    main = register_module("main", std::make_shared<nn::Sequential>(nn::Linear(2, hidden), nn::ReLU(), nn::Linear(hidden, hidden),
                                                                      nn::ReLU(), nn::Linear(hidden, 2)));
  }
  std::string name() const override { return "PointGenerator"; }
  Shape latent_shape() const override { return {2}; }
  Shape image_shape() const override { return {2}; }
  Var<float> forward(const Var<float>& z) override { return main->forward(z); }

  std::shared_ptr<nn::Sequential> main;
};

class PointDiscriminator : public gan::Discriminator {
 public:
  PointDiscriminator() {
    main = register_module("main", std::make_shared<nn::Sequential>(nn::Linear(2, hidden), nn::LeakyReLU(0.2),
                                                                      nn::Linear(hidden, hidden), nn::LeakyReLU(0.2),
                                                                      nn::Linear(hidden, 1)));
  }
  std::string name() const override { return "PointDiscriminator"; }
  Shape image_shape() const override { return {2}; }
  Var<float> forward(const Var<float>& x) override {
    frozen_in_forward.push_back(!main->parameters().front().requires_grad());
    return main->forward(x);
  }

  std::shared_ptr<nn::Sequential> main;
  std::vector<bool> frozen_in_forward;  // per call of forward: were D's weights frozen?
};

gan::GanModels point_gan() {
  return {std::make_shared<PointGenerator>(), std::make_shared<PointDiscriminator>(), {}};
}

// The 8-Gaussians ring: 8 modes at radius 2, at angles k 45 degrees, each with std 0.02.
constexpr int modes = 8;

std::array<double, 2> mode_centre(int k) {
  const double angle = 2 * std::numbers::pi * k / modes;
  return {2 * std::cos(angle), 2 * std::sin(angle)};
}

Tensor<float> ring_batch(index_t n, duel::Generator& gen) {
  Tensor<float> points = Tensor<float>::empty({n, 2});
  for (index_t i = 0; i < n; ++i) {
    const auto [x, y] = mode_centre(static_cast<int>(gen.next_below(modes)));
    points.data()[2 * i] = static_cast<float>(x + 0.02 * gen.next_normal());
    points.data()[2 * i + 1] = static_cast<float>(y + 0.02 * gen.next_normal());
  }
  return points;
}

}  // namespace

TEST_CASE("AdversarialTrainer: one step trains both players, each with its own optimizer") {
  duel::manual_seed(1);
  GanSetup setup(gan::mlp_gan(16));
  const auto g_before = snapshot(*setup.models.generator), d_before = snapshot(*setup.models.discriminator);
  const gan::StepStats s = setup.trainer.step(random_images({8, 1, 28, 28}, 2));
  CHECK(s.step == 1);
  CHECK(s.generator_stepped);
  CHECK(changed(*setup.models.generator, g_before) == 6);  // every weight and bias of both
  CHECK(changed(*setup.models.discriminator, d_before) == 6);
  CHECK(std::isfinite(s.d_loss));
  CHECK(std::isfinite(s.g_loss));
  CHECK((s.d_real > 0 && s.d_real < 1 && s.d_fake > 0 && s.d_fake < 1));  // probabilities for the BCE loss
  CHECK(setup.trainer.steps_done() == 1);
}

TEST_CASE("AdversarialTrainer: the stats report the critic's loss and mean scores from before its step") {
  duel::manual_seed(1);
  GanSetup setup(gan::mlp_gan(16), {.seed = 4});
  const Tensor<float> real = random_images({8, 1, 28, 28}, 2);
  // The fakes come from the trainer's own noise stream, seeded by TrainerOptions::seed.
  duel::Generator noise(4);
  gan::Discriminator& D = *setup.models.discriminator;
  const Var<float> real_score = D(Var<float>(real));
  const Var<float> fake_score = D((*setup.models.generator)(Var<float>(setup.models.generator->sample_latent(8, noise))));
  auto mean_probability = [](const Var<float>& logits) {
    double p = 0;
    for (float v : logits.value()) p += 1 / (1 + std::exp(-double(v))) / 8;
    return p;
  };
  const gan::StepStats s = setup.trainer.step(real);
  CHECK(s.d_real == doctest::Approx(mean_probability(real_score)).epsilon(1e-6));
  CHECK(s.d_fake == doctest::Approx(mean_probability(fake_score)).epsilon(1e-6));
  CHECK(s.d_loss == doctest::Approx(gan::discriminator_loss(gan::GanLoss::non_saturating, real_score, fake_score).item()).epsilon(1e-6));
  CHECK(s.penalty == 0);
}

TEST_CASE("AdversarialTrainer: with n_critic = 2 the generator trains every second step only") {
  duel::manual_seed(1);
  GanSetup setup(gan::mlp_gan(16), {.n_critic = 2});
  const Tensor<float> real = random_images({8, 1, 28, 28}, 2);
  auto g_before = snapshot(*setup.models.generator), d_before = snapshot(*setup.models.discriminator);

  const gan::StepStats first = setup.trainer.step(real);
  CHECK(!first.generator_stepped);
  CHECK(std::isnan(first.g_loss));  // no generator loss yet
  CHECK(changed(*setup.models.generator, g_before) == 0);
  CHECK(changed(*setup.models.discriminator, d_before) == 6);
  for (const Var<float>& p : setup.models.generator->parameters()) CHECK(!p.grad().defined());  // the fakes were detached

  d_before = snapshot(*setup.models.discriminator);
  const gan::StepStats second = setup.trainer.step(real);
  CHECK(second.generator_stepped);
  CHECK(std::isfinite(second.g_loss));
  CHECK(changed(*setup.models.generator, g_before) == 6);
  CHECK(changed(*setup.models.discriminator, d_before) == 6);

  const gan::StepStats third = setup.trainer.step(real);  // a critic step again reports the last G loss
  CHECK(!third.generator_stepped);
  CHECK(third.g_loss == second.g_loss);
}

TEST_CASE("AdversarialTrainer: with ema_decay the average of G's weights follows each generator step") {
  duel::manual_seed(1);
  GanSetup plain(gan::mlp_gan(16), {.n_critic = 2});
  CHECK(plain.trainer.ema() == nullptr);

  duel::manual_seed(1);
  GanSetup setup(gan::mlp_gan(16), {.n_critic = 2, .ema_decay = 0.999});
  REQUIRE(setup.trainer.ema() != nullptr);
  const Tensor<float> real = random_images({8, 1, 28, 28}, 2);
  const Tensor<float> initial = setup.trainer.ema()->average().at("main.0.weight").clone();
  setup.trainer.step(real);  // a critic step only: the average stays
  CHECK(setup.trainer.ema()->updates() == 0);
  setup.trainer.step(real);
  CHECK(setup.trainer.ema()->updates() == 1);
  // d = 2/11 at the first update: the average is mostly the new weights
  const Tensor<float> w = setup.models.generator->named_parameters()[0].second.value();
  Tensor<float> expected = Tensor<float>::empty(w.shape());
  for (index_t i = 0; i < w.numel(); ++i) expected.data()[i] = initial.data()[i] * 2.f / 11 + w.data()[i] * 9.f / 11;
  CHECK(duel::allclose(setup.trainer.ema()->average().at("main.0.weight"), expected, 1e-5, 1e-7));
}

TEST_CASE("AdversarialTrainer: D's weights are frozen during the generator's pass and trainable again after it") {
  duel::manual_seed(1);
  GanSetup setup(point_gan());
  auto& D = static_cast<PointDiscriminator&>(*setup.models.discriminator);
  duel::Generator data(1);
  setup.trainer.step(ring_batch(16, data));
  // D sees the real batch, the detached fakes, then the fakes again for G's loss.
  CHECK(D.frozen_in_forward == std::vector<bool>{false, false, true});
  for (const Var<float>& p : D.parameters()) CHECK(p.requires_grad());
  for (const Var<float>& p : setup.models.generator->parameters()) CHECK(p.grad().defined());  // through the frozen D
}

TEST_CASE("AdversarialTrainer: penalties are added to the critic's loss and reported") {
  const Tensor<float> real = random_images({8, 1, 28, 28}, 2);
  auto first_step = [&real](gan::TrainerOptions o) {
    duel::manual_seed(1);
    GanSetup setup(gan::mlp_gan(16), o);
    return setup.trainer.step(real);
  };
  const gan::StepStats plain = first_step({});
  for (const gan::TrainerOptions o : {gan::TrainerOptions{.r1_gamma = 10}, gan::TrainerOptions{.gp_lambda = 10}}) {
    const gan::StepStats s = first_step(o);
    CHECK(s.penalty > 0);
    CHECK(s.d_loss - s.penalty == doctest::Approx(plain.d_loss).epsilon(1e-5));  // same networks, same noise
  }
  CHECK(plain.penalty == 0);
}

TEST_CASE("AdversarialTrainer: the critic's terms go backward one by one, with the gradients of their sum") {
  const Tensor<float> real = random_images({8, 1, 28, 28}, 2);
  for (const gan::TrainerOptions o : {gan::TrainerOptions{.seed = 4}, gan::TrainerOptions{.r1_gamma = 10, .seed = 4}}) {
    CAPTURE(o.r1_gamma);
    duel::manual_seed(1);
    GanSetup setup(gan::mlp_gan(16), o);
    gan::Discriminator& D = *setup.models.discriminator;
    // By hand: the whole loss, real + fake (+ R1), and one backward through it.
    duel::Generator noise(4);
    const Var<float> fake = (*setup.models.generator)(Var<float>(setup.models.generator->sample_latent(8, noise)));
    Var<float> loss = gan::discriminator_loss(gan::GanLoss::non_saturating, D(Var<float>(real)), D(fake.detach()));
    if (o.r1_gamma > 0) loss = loss + gan::r1_penalty([&D](const Var<float>& x) { return D(x); }, real) * (o.r1_gamma / 2);
    loss.backward();
    std::vector<Tensor<float>> expected;
    for (Var<float>& p : D.parameters()) {
      expected.push_back(p.grad().value().clone());
      p.zero_grad();
    }
    setup.trainer.step(real);  // D's gradients stay as its step left them: G's step freezes D
    std::size_t i = 0;
    for (const Var<float>& p : D.parameters()) CHECK(duel::allclose(p.grad().value(), expected[i++], 1e-6, 1e-5));
  }
}

TEST_CASE("AdversarialTrainer: n_critic below 1 is refused") {
  GanSetup ok(gan::mlp_gan(4));
  CHECK_THROWS_AS(gan::AdversarialTrainer(*ok.models.generator, *ok.models.discriminator, ok.opt_g, ok.opt_d, {.n_critic = 0}),
                  duel::ValueError);
}

TEST_CASE("AdversarialTrainer: state() and load_state() carry the step, the noise stream and the exact last G loss") {
  duel::manual_seed(1);
  GanSetup a(gan::mlp_gan(16), {.n_critic = 2, .seed = 5});
  const Tensor<float> real = random_images({8, 1, 28, 28}, 2);
  a.trainer.step(real);
  const double g_loss = a.trainer.step(real).g_loss;
  GanSetup b(gan::mlp_gan(16), {.n_critic = 2});
  b.trainer.load_state(a.trainer.state());
  CHECK(b.trainer.steps_done() == 2);
  CHECK(b.trainer.noise().state() == a.trainer.noise().state());
  // Step 3 is a critic step; it reports the generator loss of step 2, to the last bit.
  CHECK(b.trainer.step(real).g_loss == g_loss);
}

TEST_CASE("AdversarialTrainer::fit: runs to max_steps or the end of the epochs, reporting each step and epoch") {
  duel::manual_seed(1);
  GanSetup setup(gan::mlp_gan(16));
  const duel::data::DataLoader loader(duel::test::random_digits(10, 3), {.batch_size = 4});  // 2 batches per epoch
  std::vector<std::int64_t> steps, epochs, epochs_done;
  const auto on_step = [&](const gan::StepStats& s) {
    steps.push_back(s.step);
    epochs.push_back(s.epoch);
  };
  const auto on_epoch = [&](std::int64_t e) { epochs_done.push_back(e); };
  setup.trainer.fit(loader, 3, 5, on_step, on_epoch);
  CHECK(steps == std::vector<std::int64_t>{1, 2, 3, 4, 5});
  CHECK(epochs == std::vector<std::int64_t>{0, 0, 1, 1, 2});
  CHECK(epochs_done == std::vector<std::int64_t>{0, 1});
  setup.trainer.fit(loader, 3, 0, on_step, on_epoch);  // no step limit: to the end of epoch 2
  CHECK(steps.back() == 6);
  CHECK(epochs_done == std::vector<std::int64_t>{0, 1, 2});
}

TEST_CASE("AdversarialTrainer: a conditional step draws its fakes for the real batch's labels") {
  duel::manual_seed(1);
  GanSetup setup(gan::cgan_mnist(8, 4));
  auto& G = dynamic_cast<gan::CganMnistGenerator&>(*setup.models.generator);
  auto& D = dynamic_cast<gan::ProjectionDiscriminator&>(*setup.models.discriminator);
  const duel::Tensor<float> g_rows = G.label_embedding->weight.value().clone();
  const duel::Tensor<float> d_rows = D.class_embedding->weight.value().clone();
  const gan::StepStats s = setup.trainer.step(random_images({4, 1, 28, 28}, 2), duel::from_vector<std::int64_t>({1, 1, 2, 2}));
  CHECK(std::isfinite(s.d_loss));
  CHECK(std::isfinite(s.g_loss));
  // Only the rows of the classes in the batch were used, so only they moved (Adam's first step
  // moves nothing whose gradient is zero).
  auto row_changed = [](const duel::Tensor<float>& before, const duel::Tensor<float>& after, duel::index_t r) {
    const duel::index_t width = before.size(1);
    for (duel::index_t j = 0; j < width; ++j) {
      if (before.data()[r * width + j] != after.data()[r * width + j]) return true;
    }
    return false;
  };
  for (duel::index_t r = 0; r < 4; ++r) {
    CAPTURE(r);
    const bool used = r == 1 || r == 2;
    CHECK(row_changed(g_rows, G.label_embedding->weight.value(), r) == used);
    CHECK(row_changed(d_rows, D.class_embedding->weight.value(), r) == used);
  }
  CHECK_THROWS_AS(setup.trainer.step(random_images({4, 1, 28, 28}, 3)), duel::ShapeError);  // labels are needed
}

TEST_CASE("AdversarialTrainer learns the 8-Gaussians ring: samples land on at least 6 of the 8 modes") {
  // The classic mode-collapse check: a GAN that has collapsed puts its samples on one or two
  // modes; one that has learnt the distribution spreads them over all eight. Plain non-saturating
  // loss, Adam(1e-3, beta1 = 0.5), batches of 128, 3000 steps: about 2 s. Seeds 1 to 20 all cover
  // at least 7 modes with at least 78% of the samples within 0.3 of one. One thread: layers this
  // small take longer to split between threads than to compute.
  const duel::test::ThreadCountGuard restore_threads;
  duel::set_num_threads(1);
  duel::manual_seed(1);
  GanSetup setup(point_gan(), {.seed = 1}, 1e-3);
  duel::Generator data(101);
  for (int step = 0; step < 3000; ++step) setup.trainer.step(ring_batch(128, data));

  duel::Generator rng(201);
  const Tensor<float> samples = setup.models.generator->sample(1000, rng);
  std::array<int, modes> hits{};
  int near_a_mode = 0;
  for (index_t i = 0; i < 1000; ++i) {
    for (int k = 0; k < modes; ++k) {
      const auto [x, y] = mode_centre(k);
      if (std::hypot(samples.data()[2 * i] - x, samples.data()[2 * i + 1] - y) < 0.3) {
        ++hits[static_cast<std::size_t>(k)];
        ++near_a_mode;
      }
    }
  }
  int covered = 0;
  for (int h : hits) covered += h >= 20 ? 1 : 0;  // a mode counts with at least 2% of the samples (1/8 is 12.5%)
  INFO("samples within 0.3 of each mode: ", hits[0], " ", hits[1], " ", hits[2], " ", hits[3], " ", hits[4], " ", hits[5],
       " ", hits[6], " ", hits[7]);
  CHECK(covered >= 6);
  CHECK(near_a_mode >= 700);
}
