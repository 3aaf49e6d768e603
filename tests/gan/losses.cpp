#include "duel/gan/losses.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "test_util.hpp"

using duel::Tensor;
using duel::Var;
using duel::gan::GanLoss;
using duel::test::var_of;

namespace {

double softplus(double x) { return std::log1p(std::exp(x)); }
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// The logits of the tests: two real images and two fakes.
const std::vector<float> real_logits{2.0f, -0.5f}, fake_logits{0.5f, -3.0f};

Var<float> real() { return var_of(real_logits, {2, 1}); }
Var<float> fake() { return var_of(fake_logits, {2, 1}); }

double d_loss(GanLoss loss, double smoothing = 0) {
  return duel::gan::discriminator_loss(loss, real(), fake(), smoothing).item();
}
double g_loss(GanLoss loss) { return duel::gan::generator_loss(loss, fake()).item(); }

// A linear critic D(x) = sum(w * x) over each image's pixels: its gradient with respect to every
// image is w, whatever the image, so the penalties have closed forms in w alone.
struct LinearCritic {
  Var<float> w = var_of<float>({0.3f, -0.4f, 1.2f}, {3});  // |w| = 1.3
  duel::gan::Critic critic() const {
    return [weights = w](const Var<float>& x) { return duel::sum(x * weights, {1, 2}); };  // x: [N, 1, 3]
  }
  // The penalty's gradient with respect to w, through the gradient it is made of.
  Tensor<float> gradient(const Var<float>& penalty) const { return duel::grad<float>({penalty}, {w})[0].value(); }
  double norm() const { return 1.3; }
};

Tensor<float> images(duel::index_t n, std::uint64_t seed) {
  duel::Generator gen(seed);
  return duel::randn<float>({n, 1, 3}, gen);
}

}  // namespace

TEST_CASE("the critic's loss halves: each is its own term of the closed forms, on its own scores") {
  const double r0 = real_logits[0], r1 = real_logits[1], f0 = fake_logits[0], f1 = fake_logits[1];
  using duel::gan::discriminator_loss_fake;
  using duel::gan::discriminator_loss_real;
  CHECK(discriminator_loss_real(GanLoss::non_saturating, real()).item() == doctest::Approx((softplus(-r0) + softplus(-r1)) / 2));
  CHECK(discriminator_loss_fake(GanLoss::non_saturating, fake()).item() == doctest::Approx((softplus(f0) + softplus(f1)) / 2));
  CHECK(discriminator_loss_real(GanLoss::hinge, real()).item() == doctest::Approx((std::max(0.0, 1 - r0) + std::max(0.0, 1 - r1)) / 2));
  CHECK(discriminator_loss_fake(GanLoss::hinge, fake()).item() == doctest::Approx((std::max(0.0, 1 + f0) + std::max(0.0, 1 + f1)) / 2));
  CHECK(discriminator_loss_real(GanLoss::wasserstein, real()).item() == doctest::Approx(-(r0 + r1) / 2));
  CHECK(discriminator_loss_fake(GanLoss::wasserstein, fake()).item() == doctest::Approx((f0 + f1) / 2));
  CHECK(discriminator_loss_real(GanLoss::least_squares, real(), 0.1).item() ==
        doctest::Approx(((r0 - 0.9) * (r0 - 0.9) + (r1 - 0.9) * (r1 - 0.9)) / 4));
  CHECK(discriminator_loss_fake(GanLoss::least_squares, fake()).item() == doctest::Approx((f0 * f0 + f1 * f1) / 4));
}

TEST_CASE("parse_gan_loss: the PyTorch-world names, and a clear error for others") {
  using duel::gan::parse_gan_loss;
  CHECK(parse_gan_loss("bce") == GanLoss::non_saturating);
  CHECK(parse_gan_loss("non_saturating") == GanLoss::non_saturating);
  CHECK(parse_gan_loss("hinge") == GanLoss::hinge);
  CHECK(parse_gan_loss("wgan") == GanLoss::wasserstein);
  CHECK(parse_gan_loss("wasserstein") == GanLoss::wasserstein);
  CHECK(parse_gan_loss("lsgan") == GanLoss::least_squares);
  CHECK(parse_gan_loss("least_squares") == GanLoss::least_squares);
  CHECK_THROWS_WITH_AS(parse_gan_loss("BCE"), doctest::Contains("unknown GAN loss 'BCE'"), duel::ValueError);
}

TEST_CASE("non-saturating loss: BCE with targets 1 (or 1 - s) for real and 0 for fake, averaged over the batch") {
  // softplus(-x) = -log sigmoid(x), softplus(x) = -log(1 - sigmoid(x)).
  const double real_term = (softplus(-2.0) + softplus(0.5)) / 2, fake_term = (softplus(0.5) + softplus(-3.0)) / 2;
  CHECK(d_loss(GanLoss::non_saturating) == doctest::Approx(real_term + fake_term).epsilon(1e-6));
  CHECK(g_loss(GanLoss::non_saturating) == doctest::Approx((softplus(-0.5) + softplus(3.0)) / 2).epsilon(1e-6));

  // With smoothing s the real target is 1 - s: BCE(x, t) = softplus(x) - t x.
  const double t = 0.9;
  const double smoothed = (softplus(2.0) - t * 2.0 + softplus(-0.5) - t * -0.5) / 2;
  CHECK(d_loss(GanLoss::non_saturating, 0.1) == doctest::Approx(smoothed + fake_term).epsilon(1e-6));
  // At logits 0 every term is log 2, smoothed or not.
  const Var<float> zero(duel::zeros<float>({4}));
  CHECK(duel::gan::discriminator_loss(GanLoss::non_saturating, zero, zero, 0.2).item() ==
        doctest::Approx(2 * std::log(2.0)).epsilon(1e-6));
}

TEST_CASE("non-saturating generator loss: its gradient does not vanish when D rejects the fakes") {
  // d/df softplus(-f) / N = (sigmoid(f) - 1) / N: close to -1/N when D(G(z)) is near 0, which is
  // what makes it "non-saturating" (log(1 - D(G(z))) would give a gradient near 0 there).
  const Var<float> f = var_of<float>({-6.0f, 1.0f}, {2});
  const Var<float> g = duel::grad<float>({duel::gan::generator_loss(GanLoss::non_saturating, f)}, {f})[0];
  duel::test::check_close(g, {static_cast<float>((sigmoid(-6) - 1) / 2), static_cast<float>((sigmoid(1) - 1) / 2)}, 1e-5, 1e-7);
}

TEST_CASE("hinge loss: relu(1 - r) + relu(1 + f) for D, -f for G; smoothing does not apply") {
  // real {2, -0.5}: relu(-1) = 0, relu(1.5) = 1.5; fake {0.5, -3}: relu(1.5) = 1.5, relu(-2) = 0.
  CHECK(d_loss(GanLoss::hinge) == doctest::Approx(0.75 + 0.75));
  CHECK(d_loss(GanLoss::hinge, 0.1) == doctest::Approx(1.5));
  CHECK(g_loss(GanLoss::hinge) == doctest::Approx(1.25));
}

TEST_CASE("Wasserstein loss: mean(f) - mean(r) for D, -mean(f) for G") {
  CHECK(d_loss(GanLoss::wasserstein) == doctest::Approx(-1.25 - 0.75));
  CHECK(g_loss(GanLoss::wasserstein) == doctest::Approx(1.25));
}

TEST_CASE("least-squares loss: ((r - 1)^2 + f^2) / 2 for D, (f - 1)^2 / 2 for G, real target 1 - s") {
  // (r - 1)^2 = {1, 2.25}, f^2 = {0.25, 9}: (1.625 + 4.625) / 2.
  CHECK(d_loss(GanLoss::least_squares) == doctest::Approx(3.125));
  // (r - 0.8)^2 = {1.44, 1.69}: (1.565 + 4.625) / 2.
  CHECK(d_loss(GanLoss::least_squares, 0.2) == doctest::Approx(3.095));
  // (f - 1)^2 = {0.25, 16}: 8.125 / 2.
  CHECK(g_loss(GanLoss::least_squares) == doctest::Approx(4.0625));
}

TEST_CASE("r1_penalty on a linear critic is ||w||^2, and its gradient with respect to w is 2 w") {
  const LinearCritic D;
  const Var<float> r1 = duel::gan::r1_penalty(D.critic(), images(5, 1));
  CHECK(r1.item() == doctest::Approx(D.norm() * D.norm()).epsilon(1e-6));
  // The gradient reaches w only through the gradient d D / d x = w: second derivatives flow.
  duel::test::check_close(D.gradient(r1), duel::from_vector<float>({0.6f, -0.8f, 2.4f}, {3}), 1e-6, 1e-6);
}

TEST_CASE("r1_penalty averages ||grad D(x_i)||^2 over the images") {
  // D(x) = sum(x^2) / 2 has gradient x, so R1 = mean_i ||x_i||^2.
  const Tensor<float> x = duel::from_vector<float>({1, 2, 2, 0, 3, 4}, {2, 1, 3});  // norms^2 9 and 25
  const duel::gan::Critic half_square = [](const Var<float>& v) { return duel::sum(v * v, {1, 2}) * 0.5; };
  CHECK(duel::gan::r1_penalty(half_square, x).item() == doctest::Approx(17));
}

TEST_CASE("gradient_penalty on a linear critic is (||w|| - 1)^2, with gradient 2 (||w|| - 1) w / ||w||") {
  const LinearCritic D;
  duel::Generator rng(7);
  const Var<float> gp = duel::gan::gradient_penalty(D.critic(), images(4, 2), images(4, 3), rng);
  const double k = D.norm() - 1;
  CHECK(gp.item() == doctest::Approx(k * k).epsilon(1e-5));
  const auto scale = static_cast<float>(2 * k / D.norm());
  duel::test::check_close(D.gradient(gp), duel::from_vector<float>({scale * 0.3f, scale * -0.4f, scale * 1.2f}, {3}), 1e-5, 1e-6);
}

TEST_CASE("gradient_penalty evaluates the critic at x_hat = a real + (1 - a) fake, one a ~ U[0, 1) per image") {
  // D(x) = sum(x^2) / 2 has gradient x_hat; with fake = 0, ||x_hat_i|| = a_i ||real_i||.
  const Tensor<float> real = duel::from_vector<float>({3, 4, 0, 0, 6, 8}, {2, 1, 3});  // norms 5 and 10
  const duel::gan::Critic half_square = [](const Var<float>& v) { return duel::sum(v * v, {1, 2}) * 0.5; };
  duel::Generator rng(11), copy = rng;
  const double a0 = copy.next_uniform(), a1 = copy.next_uniform();
  const double expected = (std::pow(a0 * 5 - 1, 2) + std::pow(a1 * 10 - 1, 2)) / 2;
  CHECK(duel::gan::gradient_penalty(half_square, real, duel::zeros<float>({2, 1, 3}), rng).item() ==
        doctest::Approx(expected).epsilon(1e-5));
  CHECK(rng.state() == copy.state());  // it drew exactly one number per image
}

TEST_CASE("gradient_penalty: real and fake batches of different shapes are refused") {
  const LinearCritic D;
  duel::Generator rng(1);
  CHECK_THROWS_AS(duel::gan::gradient_penalty(D.critic(), images(4, 1), images(3, 1), rng), duel::ShapeError);
}
