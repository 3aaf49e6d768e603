// Helpers shared by the tests of the convolution kernels: geometries as a layer would make them,
// and inputs that are easy to tell apart.
#pragma once

#include <vector>

#include "duel/ops/im2col.hpp"

namespace duel::test {

// A geometry of C-channel H x W images, O output channels and a kh x kw kernel, its output size
// PyTorch's; the images get `extra` rows and columns that no window reads (a transposed
// convolution's output_padding).
inline detail::ConvGeometry make_geometry(index_t c, index_t h, index_t w, index_t o, index_t kh, index_t kw, Size2 s, Size2 p,
                                          Size2 d, index_t extra = 0) {
  return {c,  h + extra, w + extra, o, detail::conv_out_size(h, kh, s.h, p.h, d.h),
          detail::conv_out_size(w, kw, s.w, p.w, d.w), kh, kw, s, p, d};
}

// n numbers from a pattern of 101 distinct values, times scale.
template <class T>
std::vector<T> pattern(index_t n, double scale) {
  std::vector<T> v(static_cast<std::size_t>(n));
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<T>(scale * static_cast<double>(static_cast<int>(k * 37 % 101) - 50));
  return v;
}

}  // namespace duel::test
