// Making tensors: zeros, ones, full, arange, from_vector, and random fills (rand, randn).
// Each takes the number type as a template argument that defaults to float: duel::zeros({2, 3}).
#pragma once

#include <cmath>
#include <vector>

#include "duel/tensor/parallel.hpp"
#include "duel/tensor/random.hpp"
#include "duel/tensor/tensor.hpp"

namespace duel {

template <class T = float>
Tensor<T> full(const Shape& shape, T value) {
  Tensor<T> t = Tensor<T>::empty(shape);
  t.fill_(value);
  return t;
}

template <class T = float>
Tensor<T> zeros(const Shape& shape) { return full<T>(shape, T(0)); }

template <class T = float>
Tensor<T> ones(const Shape& shape) { return full<T>(shape, T(1)); }

template <class T>
Tensor<T> zeros_like(const Tensor<T>& t) { return zeros<T>(t.shape()); }

template <class T>
Tensor<T> ones_like(const Tensor<T>& t) { return ones<T>(t.shape()); }

// start, start + step, ... up to but excluding end, as a rank-1 tensor.
template <class T = float>
Tensor<T> arange(T start, T end, T step = T(1)) {
  if (step == T(0)) throw ValueError("arange: step must not be zero");
  double count = std::ceil((static_cast<double>(end) - static_cast<double>(start)) / static_cast<double>(step));
  Tensor<T> t = Tensor<T>::empty({static_cast<index_t>(std::max(count, 0.0))});
  for (index_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<T>(start + static_cast<T>(i) * step);
  return t;
}

template <class T = float>
Tensor<T> arange(T end) { return arange<T>(T(0), end); }

// A tensor holding the given values, rank 1 by default or in the given shape.
template <class T>
Tensor<T> from_vector(const std::vector<T>& values, const Shape& shape) {
  if (shape.numel() != static_cast<index_t>(values.size())) {
    throw ShapeError(detail::cat("from_vector: ", values.size(), " values do not fill shape ", shape));
  }
  Tensor<T> t = Tensor<T>::empty(shape);
  std::copy(values.begin(), values.end(), t.begin());
  return t;
}

template <class T>
Tensor<T> from_vector(const std::vector<T>& values) {
  return from_vector(values, Shape{static_cast<index_t>(values.size())});
}

// Fills t with draws from N(mean, std^2) in place; element i uses the generator's counters
// first + 2i and first + 2i + 1.
template <class T>
Tensor<T>& normal_(Tensor<T>& t, double mean = 0, double std = 1, Generator& gen = default_generator()) {
  std::uint64_t first = gen.reserve(2 * static_cast<std::uint64_t>(t.numel()));
  T* p = t.data();
  parallel_for(0, t.numel(), 1 << 14, [&](index_t lo, index_t hi) {
    for (index_t i = lo; i < hi; ++i) p[i] = static_cast<T>(mean + std * gen.normal(first + 2 * static_cast<std::uint64_t>(i)));
  });
  return t;
}

// Fills t with draws from U[low, high) in place.
template <class T>
Tensor<T>& uniform_(Tensor<T>& t, double low = 0, double high = 1, Generator& gen = default_generator()) {
  std::uint64_t first = gen.reserve(static_cast<std::uint64_t>(t.numel()));
  T* p = t.data();
  parallel_for(0, t.numel(), 1 << 14, [&](index_t lo, index_t hi) {
    for (index_t i = lo; i < hi; ++i) {
      T v = static_cast<T>(low + (high - low) * gen.uniform(first + static_cast<std::uint64_t>(i)));
      p[i] = v < static_cast<T>(high) ? v : std::nextafter(static_cast<T>(high), static_cast<T>(low));  // rounding
    }
  });
  return t;
}

// Standard normal samples, as torch.randn.
template <class T = float>
Tensor<T> randn(const Shape& shape, Generator& gen = default_generator()) {
  Tensor<T> t = Tensor<T>::empty(shape);
  return normal_(t, 0.0, 1.0, gen);
}

// Uniform samples in [0, 1), as torch.rand.
template <class T = float>
Tensor<T> rand(const Shape& shape, Generator& gen = default_generator()) {
  Tensor<T> t = Tensor<T>::empty(shape);
  return uniform_(t, 0.0, 1.0, gen);
}

}  // namespace duel
