#include "duel/gan/networks.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "duel/gan/models/dcgan64.hpp"
#include "duel/gan/models/mlp_gan.hpp"

using duel::Shape;
namespace gan = duel::gan;

TEST_CASE("Generator::sample_latent: n vectors of latent_shape() from N(0, 1), drawn from the given stream") {
  gan::GanModels conv = gan::dcgan64({.latent_dim = 10, .width = 2});
  duel::Generator a(3), b(3);
  const duel::Tensor<float> z = conv.generator->sample_latent(500, a);
  CHECK(z.shape() == Shape{500, 10, 1, 1});
  CHECK(duel::allclose(z, duel::randn<float>({500, 10, 1, 1}, b), 0, 0));  // nothing but randn
  CHECK(a.state() == b.state());
  double sum = 0, squares = 0;
  for (float v : z) {
    sum += v;
    squares += double(v) * v;
  }
  CHECK(std::abs(sum / 5000) < 0.05);
  CHECK(squares / 5000 == doctest::Approx(1).epsilon(0.05));
}

TEST_CASE("Generator::sample: images from fresh noise, with no graph recorded") {
  gan::GanModels m = gan::mlp_gan(8);
  duel::Generator a(9), b(9);
  const duel::Tensor<float> images = m.generator->sample(4, a);
  CHECK(images.shape() == Shape{4, 1, 28, 28});
  // The same as running G on sample_latent by hand.
  const duel::Var<float> by_hand = (*m.generator)(duel::Var<float>(m.generator->sample_latent(4, b)));
  CHECK(duel::allclose(images, by_hand.value(), 0, 0));
  CHECK(duel::GradMode::is_enabled());  // the no-grad scope ended with the call
}
