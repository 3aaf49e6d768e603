// Tests for include/duel/gan/sampling.hpp: straight lines through the latent space.
#include "duel/gan/sampling.hpp"

#include <doctest/doctest.h>

#include "duel/gan/models.hpp"
#include "duel/ops/slice.hpp"

using duel::Shape;
namespace gan = duel::gan;

TEST_CASE("interpolate_latents: each row runs from its start to its end in equal steps") {
  const duel::Tensor<float> from = duel::from_vector<float>({0, 10, 1, 1}).reshape({2, 2});
  const duel::Tensor<float> to = duel::from_vector<float>({4, 30, 1, -1}).reshape({2, 2});
  const duel::Tensor<float> z = gan::interpolate_latents(from, to, 5);
  REQUIRE(z.shape() == Shape{10, 2});
  const duel::Tensor<float> expected = duel::from_vector<float>({0, 10, 1, 15, 2, 20, 3, 25, 4, 30,    // row 0
                                                                 1, 1, 1, 0.5f, 1, 0, 1, -0.5f, 1, -1})  // row 1
                                           .reshape({10, 2});
  CHECK(duel::allclose(z, expected, 1e-6, 1e-6));
}

TEST_CASE("interpolate_latents: end points of different shapes, or fewer than 2 steps, are refused") {
  const duel::Tensor<float> a = duel::zeros<float>({2, 3}), b = duel::zeros<float>({2, 4});
  CHECK_THROWS_WITH_AS(gan::interpolate_latents(a, b, 3), doctest::Contains("[2,3] and [2,4] differ"), duel::ShapeError);
  CHECK_THROWS_WITH_AS(gan::interpolate_latents(a, a, 1), doctest::Contains("at least 2 steps, got 1"), duel::ValueError);
}

TEST_CASE("latent_walks: rows x steps images; a conditional walk keeps its row's class") {
  gan::GanModels plain = gan::mlp_gan(8);
  duel::Generator rng(4);
  CHECK(gan::latent_walks(*plain.generator, 2, 3, rng).shape() == Shape{6, 1, 28, 28});

  gan::GanModels conditional = gan::cgan_mnist(8, 10);
  conditional.generator->eval();  // each image on its own, so it can be redrawn alone below
  duel::Generator a(6), b(6);
  const duel::Tensor<std::int64_t> labels = duel::from_vector<std::int64_t>({3, 8});
  const duel::Tensor<float> walks = gan::latent_walks(*conditional.generator, 2, 4, a, labels);
  REQUIRE(walks.shape() == Shape{8, 1, 28, 28});
  // The last image of walk 1 is G(to[1], 8): the second of the two latent batches drawn.
  const duel::Tensor<float> from = conditional.generator->sample_latent(2, b), to = conditional.generator->sample_latent(2, b);
  CHECK(from.shape() == Shape{2, 8});
  const duel::Var<float> to_1 = duel::slice(duel::Var<float>(to), 0, 1, 2);
  const duel::Tensor<float> end = conditional.generator->generate(to_1, duel::from_vector<std::int64_t>({8})).value();
  CHECK(duel::allclose(duel::slice(duel::Var<float>(walks), 0, 7, 8).value(), end, 1e-5, 1e-5));
}
