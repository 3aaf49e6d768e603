#include "duel/tensor/error.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("Error: every Duel error is a duel::Error and a std::runtime_error") {
  CHECK_THROWS_AS(throw duel::ShapeError("s"), duel::Error);
  CHECK_THROWS_AS(throw duel::ValueError("v"), duel::Error);
  CHECK_THROWS_AS(throw duel::IoError("i"), std::runtime_error);
  CHECK_THROWS_WITH_AS(throw duel::ValueError("bad value"), "bad value", duel::ValueError);
}

TEST_CASE("detail::cat joins pieces with operator<<") {
  CHECK(duel::detail::cat("conv2d: ", 3, " channels, ", 2.5, 'x', std::string("!")) == "conv2d: 3 channels, 2.5x!");
}
