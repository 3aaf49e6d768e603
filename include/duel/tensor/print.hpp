// Printing tensors readably: the shape and type first, then the values nested by dimension, with
// large tensors summarised as PyTorch does (the first and last 3 entries of each long dimension).
#pragma once

#include <iomanip>
#include <ostream>
#include <sstream>

#include "duel/tensor/tensor.hpp"

namespace duel {
namespace detail {

template <class T>
void print_values(std::ostream& out, const Tensor<T>& t, int dim, index_t offset, bool summarise, int indent) {
  const index_t n = t.shape()[dim];
  index_t stride = 1;  // elements per step along dim
  for (int d = dim + 1; d < t.rank(); ++d) stride *= t.shape()[d];
  constexpr index_t edge = 3;
  out << '[';
  for (index_t i = 0; i < n; ++i) {
    if (summarise && n > 2 * edge && i == edge) {
      out << (dim + 1 == t.rank() ? "..., " : "...,\n" + std::string(static_cast<std::size_t>(indent + 1), ' '));
      i = n - edge;
    }
    if (dim + 1 == t.rank()) {
      if constexpr (std::is_floating_point_v<T>) {
        out << std::setw(10) << std::setprecision(4) << std::fixed << static_cast<double>(t.data()[offset + i]);
      } else {
        out << static_cast<long long>(t.data()[offset + i]);
      }
    } else {
      print_values(out, t, dim + 1, offset + i * stride, summarise, indent + 1);
    }
    if (i + 1 < n) out << (dim + 1 == t.rank() ? ", " : ",\n" + std::string(static_cast<std::size_t>(indent + 1), ' '));
  }
  out << ']';
}

}  // namespace detail

template <class T>
std::ostream& operator<<(std::ostream& out, const Tensor<T>& t) {
  std::ostringstream s;  // formatting flags stay local to this call
  s << "Tensor " << dtype_name<T>() << ' ' << t.shape() << '\n';
  if (t.rank() == 0) {
    s << static_cast<double>(t.data()[0]);
  } else if (t.numel() > 0) {
    detail::print_values(s, t, 0, 0, t.numel() > 1000, 0);
  }
  return out << s.str();
}

}  // namespace duel
