#include "duel/tensor/print.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "duel/tensor/factories.hpp"
#include "test_util.hpp"

using duel::Tensor;
using duel::test::counting;

namespace {

template <class T>
std::string printed(const Tensor<T>& t) {
  std::ostringstream out;
  out << t;
  return out.str();
}

}  // namespace

TEST_CASE("operator<<: dtype, shape, then the values nested by dimension") {
  Tensor<float> t = counting<float>({2, 3});
  t(1, 2) = -0.125f;
  CHECK(printed(t) ==
        "Tensor float32 [2,3]\n"
        "[[    0.0000,     1.0000,     2.0000],\n"
        " [    3.0000,     4.0000,    -0.1250]]");
  CHECK(printed(counting<std::int64_t>({3})) == "Tensor int64 [3]\n[0, 1, 2]");
  CHECK(printed(duel::full<double>({}, 2.5)) == "Tensor float64 []\n2.5");
  CHECK(printed(Tensor<double>(duel::Shape{2, 0})) == "Tensor float64 [2,0]\n");
  CHECK(printed(counting<std::uint8_t>({1, 1, 2})) == "Tensor uint8 [1,1,2]\n[[[0, 1]]]");
}

TEST_CASE("operator<<: leaves the stream's formatting alone") {
  std::ostringstream out;
  out << counting<double>({2}) << ' ' << 1.5;
  CHECK(out.str() == "Tensor float64 [2]\n[    0.0000,     1.0000] 1.5");
}

TEST_CASE("operator<<: tensors over 1000 elements show the first and last 3 of each long dim") {
  const std::string flat = printed(counting<std::int64_t>({2000}));
  CHECK(flat == "Tensor int64 [2000]\n[0, 1, 2, ..., 1997, 1998, 1999]");

  const std::string grid = printed(counting<std::int64_t>({40, 40}));
  CHECK(grid.find("[[0, 1, 2, ..., 37, 38, 39],\n [40, 41, 42, ..., 77, 78, 79],") != std::string::npos);
  CHECK(grid.find(" ...,\n [1480, 1481, 1482, ...") != std::string::npos);
  CHECK(grid.find("1597, 1598, 1599]]") != std::string::npos);
  CHECK(grid.find("[120,") == std::string::npos);  // row 3 is summarised away

  const std::string exact = printed(counting<std::int64_t>({1000}));  // not over the threshold
  CHECK(exact.find("...") == std::string::npos);
  CHECK(exact.find(" 500,") != std::string::npos);
}
