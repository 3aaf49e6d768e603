// Row bands: the output rows of a convolution grouped by which kernel rows of their windows fall
// inside the image, so that the channels-last kernels (conv_channels_last.hpp) skip the padding.
//
// A window at output row oh reads image rows oh*sh - ph + i*dh for kernel rows i < kh. Near the
// top and bottom edges some of those rows are padding, and their columns of colsT, the runs
// (i, j, c) for those i, are zeros that every product would multiply. Consecutive output rows that
// keep the same kernel rows [i0, i1) form a band; its columns of colsT are one contiguous range,
//
//   [i0*kw*C, i1*kw*C)          colsT's columns are (i, j, c), i slowest
//
// so a band's products need only that range. The critic's Conv2d(64, 128) (4 x 4, stride 2,
// padding 1) on 14 x 14 images has three bands: output row 0 (kernel rows 1-3), rows 1-5 (all
// four) and row 6 (rows 0-2). A quarter of the top and bottom rows' columns is skipped.
//
// The chunk's rows of colsT go band by band, and image by image within a band, so that each
// band's rows are contiguous too: pixel l of image b (of B) in band {first, count} is row
//
//   B*first + b*count + (l - first)
#pragma once

#include <algorithm>
#include <array>
#include <cstring>

#include "duel/ops/im2col.hpp"
#include "duel/tensor/parallel.hpp"

namespace duel::detail {

struct RowBand {
  index_t first, count;     // output pixels [first, first + count): whole output rows, out_w pixels each
  index_t column, columns;  // the columns of colsT its windows read inside the image: [column, column + columns)

  // The chunk row of pixel l (first <= l < first + count) of image b, for a chunk of B images.
  index_t row(index_t B, index_t b, index_t l) const { return B * first + b * count + l - first; }
  // The band's first chunk row: its B * count rows follow.
  index_t first_row(index_t B) const { return B * first; }
  friend bool operator==(const RowBand&, const RowBand&) = default;
};

// The bands of a geometry, top to bottom. At most `capacity` of them: a geometry with more
// (kernels taller than 4 with padding) puts the last rows into one band that reads the union of
// their columns, which is still correct, since a column outside a row's window range holds zeros.
class RowBands {
 public:
  static constexpr int capacity = 8;

  // All output rows in one band that reads every column: the plain row order (b, l), which the
  // NCHW kernels (conv_kernels.hpp) use.
  static RowBands whole(const ConvGeometry& g) {
    RowBands one(g.kernel_w * g.channels);
    one.bands_[0] = {0, g.out_area(), 0, g.col_rows()};
    one.size_ = 1;
    return one;
  }

  explicit RowBands(const ConvGeometry& g) : row_columns_(g.kernel_w * g.channels) {
    const index_t row_columns = row_columns_;
    for (index_t oh = 0; oh < g.out_h; ++oh) {
      // kernel rows i with 0 <= oh*sh - ph + i*dh < H
      const auto [i0, i1] = valid_range(g.height, g.kernel_h, g.dilation.h, g.padding.h, oh * g.stride.h);
      const RowBand next{oh * g.out_w, g.out_w, i0 < i1 ? i0 * row_columns : 0, (i1 - i0) * row_columns};
      if (size_ > 0 && (same_columns(bands_[size_ - 1], next) || size_ == capacity)) {
        extend(bands_[size_ - 1], next);
      } else {
        bands_[size_++] = next;
      }
    }
  }

  // The chunk rows [lo, hi) of the windows that read kernel row i inside the image (lo == hi when
  // none does). They are contiguous: from one band that reads any kernel row to the next, both
  // ends of the range of kernel rows it reads can only decrease, so the bands that read row i
  // are consecutive.
  std::array<index_t, 2> rows_reading(index_t i, index_t B) const {
    index_t lo = 0, hi = 0;
    for (const RowBand& band : *this) {
      if (band.column > i * row_columns_ || (i + 1) * row_columns_ > band.column + band.columns) continue;
      if (lo == hi) lo = band.first_row(B);
      hi = band.first_row(B) + B * band.count;
    }
    return {lo, hi};
  }

  const RowBand* begin() const { return bands_.data(); }
  const RowBand* end() const { return bands_.data() + size_; }
  int size() const { return size_; }

 private:
  explicit RowBands(index_t row_columns) : row_columns_(row_columns) {}

  static bool same_columns(const RowBand& a, const RowBand& b) { return a.column == b.column && a.columns == b.columns; }

  // Appends b's pixels to a, which then reads the columns both read (an empty range adds none).
  static void extend(RowBand& a, const RowBand& b) {
    a.count += b.count;
    if (b.columns == 0) return;
    const index_t lo = a.columns == 0 ? b.column : std::min(a.column, b.column);
    const index_t hi = a.columns == 0 ? b.column + b.columns : std::max(a.column + a.columns, b.column + b.columns);
    a.column = lo;
    a.columns = hi - lo;
  }

  index_t row_columns_;  // kw*C: the columns of one kernel row
  std::array<RowBand, capacity> bands_{};
  int size_ = 0;
};

// Gathers g[n0 .. n0+B) from [B, O, L] into [O, B*L], its columns in the order of the chunk's rows
// (band by band; with RowBands::whole, the images side by side).
// All threads copy: on two, a copy left to one of them kept the other waiting for 5% of a
// dcgan28 step.
template <class T>
const T* gather_bands(const T* gy, const ConvGeometry& g, const RowBands& bands, index_t n0, index_t B, T* buffer) {
  const index_t O = g.out_channels, L = g.out_area();
  if (B == 1) return gy + n0 * O * L;  // one image: already in that order
  parallel_for(0, B * O, grain_for(L), [&](index_t lo, index_t hi) {
    for (index_t t = lo; t < hi; ++t) {
      const index_t b = t / O, o = t % O;
      const T* src = gy + ((n0 + b) * O + o) * L;
      for (const RowBand& band : bands) {
        std::memcpy(buffer + o * B * L + band.row(B, b, band.first), src + band.first,
                    static_cast<std::size_t>(band.count) * sizeof(T));
      }
    }
  });
  return buffer;
}

}  // namespace duel::detail
