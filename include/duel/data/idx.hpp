// IDX, the file format of MNIST and Fashion-MNIST: a tiny header, then a dense array.
//
//   bytes 0-1  zero
//   byte  2    data type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
//   byte  3    rank r (1..8)
//   then       r dims, big-endian uint32, outermost first
//   then       prod(dims) values, big-endian, row-major
//
// Files may be gzip-compressed (.gz); the reader looks at the content (gzip starts 1f 8b), not the
// name. It checks every header field and that the data is exactly prod(dims) * sizeof(type) bytes
// before allocating the tensor, so a file can never make it allocate more than its own size (or,
// compressed, more than deflate can expand it to).
#pragma once

#include <bit>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "duel/data/file.hpp"
#include "duel/data/gzip.hpp"
#include "duel/io/atomic_file.hpp"
#include "duel/tensor/tensor.hpp"

namespace duel::data {

// What an IDX header says: the stored type code, the shape, and where the data starts.
struct IdxHeader {
  std::uint8_t type = 0;
  Shape shape;
  std::size_t data_offset = 0;
};

namespace detail {

struct IdxType {
  std::uint8_t code;
  const char* name;
  std::size_t bytes;
};
inline constexpr IdxType idx_types[] = {{0x08, "uint8", 1}, {0x09, "int8", 1},    {0x0B, "int16", 2},
                                        {0x0C, "int32", 4}, {0x0D, "float32", 4}, {0x0E, "float64", 8}};

inline const IdxType* find_idx_type(std::uint8_t code) {
  for (const IdxType& t : idx_types) {
    if (t.code == code) return &t;
  }
  return nullptr;
}

// The IDX type code of T, or 0 if IDX cannot store T.
template <class T>
constexpr std::uint8_t idx_code() {
  using std::is_same_v;
  return is_same_v<T, std::uint8_t>   ? 0x08
         : is_same_v<T, std::int8_t>  ? 0x09
         : is_same_v<T, std::int16_t> ? 0x0B
         : is_same_v<T, std::int32_t> ? 0x0C
         : is_same_v<T, float>        ? 0x0D
         : is_same_v<T, double>       ? 0x0E
                                      : 0;
}

template <std::size_t N>
using uint_of_size = std::conditional_t<
    N == 1, std::uint8_t,
    std::conditional_t<N == 2, std::uint16_t, std::conditional_t<N == 4, std::uint32_t, std::uint64_t>>>;

template <class T>
T load_be(const std::uint8_t* p) {
  uint_of_size<sizeof(T)> u = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) u = static_cast<decltype(u)>(u << 8 | p[i]);
  return std::bit_cast<T>(u);
}

template <class T>
void store_be(T value, std::uint8_t* p) {
  auto u = std::bit_cast<uint_of_size<sizeof(T)>>(value);
  for (std::size_t i = 0; i < sizeof(T); ++i) p[sizeof(T) - 1 - i] = static_cast<std::uint8_t>(u >> (8 * i));
}

// Whether the stored value v converts to T without overflow (C++ leaves that undefined). Floats
// going to integers are truncated toward zero first, as static_cast (and PyTorch's .to) do.
template <class T, class S>
bool fits(S v) {
  using L = std::numeric_limits<T>;
  if constexpr (std::is_integral_v<S> && std::is_integral_v<T>) {
    return std::in_range<T>(v);
  } else if constexpr (std::is_integral_v<T>) {
    double t = std::trunc(static_cast<double>(v));  // NaN fails both tests
    return t >= static_cast<double>(L::lowest()) && t < static_cast<double>(L::max()) + 1.0;
  } else if constexpr (std::is_floating_point_v<S>) {
    return !std::isfinite(v) || std::abs(static_cast<double>(v)) <= static_cast<double>(L::max());
  } else {
    return true;
  }
}

}  // namespace detail

// Parses and checks the header of the raw (uncompressed) IDX data in bytes; name starts errors.
inline IdxHeader parse_idx_header(std::span<const std::uint8_t> bytes, const std::string& name) {
  using detail::error_at;
  if (bytes.size() < 4)
    throw error_at(name, bytes.size(), "truncated IDX: the magic number needs 4 bytes, found ", bytes.size());
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw error_at(name, 0, "not an IDX file: magic starts ", detail::hex(bytes[0], 2), " ", detail::hex(bytes[1], 2),
                   ", expected 0x00 0x00");
  }
  const detail::IdxType* type = detail::find_idx_type(bytes[2]);
  if (!type) {
    throw error_at(name, 2, "unknown IDX data type ", detail::hex(bytes[2], 2),
                   " (known: 0x08 uint8, 0x09 int8, 0x0b int16, 0x0c int32, 0x0d float32, 0x0e float64)");
  }
  const int rank = bytes[3];
  if (rank < 1 || rank > Shape::max_rank) throw error_at(name, 3, "rank ", rank, " is outside 1..", Shape::max_rank);
  IdxHeader h{type->code, Shape{}, 4 + 4 * static_cast<std::size_t>(rank)};
  if (bytes.size() < h.data_offset) {
    throw error_at(name, bytes.size(), "truncated IDX header: ", rank, " dims end at byte ", h.data_offset,
                   ", the data has ", bytes.size(), " bytes");
  }
  std::uint64_t count = 1;  // saturates at UINT64_MAX, which no real byte count reaches
  bool empty = false;
  for (int d = 0; d < rank; ++d) {
    auto dim = detail::load_be<std::uint32_t>(bytes.data() + 4 + 4 * d);
    h.shape.push_back(dim);
    empty = empty || dim == 0;
    count = dim != 0 && count > UINT64_MAX / dim ? UINT64_MAX : count * dim;
  }
  if (empty) count = 0;
  const std::uint64_t found = bytes.size() - h.data_offset;
  if (count > found / type->bytes || count * type->bytes != found) {
    throw error_at(name, h.data_offset, "dims ", h.shape, " of ", type->name, " need ",
                   count == UINT64_MAX ? std::string("over 2^64") : std::to_string(count * type->bytes),
                   " bytes of data, found ", found);
  }
  return h;
}

// The tensor held by IDX data (raw or gzip), converted to T. A stored value that T cannot hold
// (300 for uint8, NaN for an integer type) is an IoError naming its byte offset.
template <class T>
Tensor<T> decode_idx(std::span<const std::uint8_t> bytes, const std::string& name = "IDX data") {
  if (is_gzip(bytes)) {
    std::vector<std::uint8_t> raw = gunzip(bytes, INT_MAX, name);
    return decode_idx<T>(raw, name + " (inflated)");
  }
  const IdxHeader h = parse_idx_header(bytes, name);
  Tensor<T> out = Tensor<T>::empty(h.shape);
  const std::uint8_t* src = bytes.data() + h.data_offset;
  auto convert = [&]<class S>(S) {
    if constexpr (std::is_same_v<S, T> && sizeof(T) == 1) {
      if (out.numel() > 0) std::memcpy(out.data(), src, static_cast<std::size_t>(out.numel()));
    } else {
      T* dst = out.data();
      for (index_t i = 0, n = out.numel(); i < n; ++i) {
        S v = detail::load_be<S>(src + i * index_t{sizeof(S)});
        if (!detail::fits<T>(v)) {
          throw detail::error_at(name, h.data_offset + i * sizeof(S), "value ", +v, " does not fit in ",
                                 dtype_name<T>());
        }
        dst[i] = static_cast<T>(v);
      }
    }
  };
  switch (h.type) {
    case 0x08: convert(std::uint8_t{}); break;
    case 0x09: convert(std::int8_t{}); break;
    case 0x0B: convert(std::int16_t{}); break;
    case 0x0C: convert(std::int32_t{}); break;
    case 0x0D: convert(float{}); break;
    default: convert(double{}); break;
  }
  return out;
}

// Reads the IDX file at path (raw or gzip, told apart by content), converting to T.
template <class T>
Tensor<T> read_idx(const std::filesystem::path& path) {
  return decode_idx<T>(detail::read_file(path, std::numeric_limits<std::uint64_t>::max()), path.string());
}

// Reads an IDX file of bytes, such as MNIST's images and labels.
inline Tensor<std::uint8_t> read_idx_u8(const std::filesystem::path& path) { return read_idx<std::uint8_t>(path); }

// The raw IDX bytes of t. IDX stores uint8, int8, int16, int32, float and double.
template <class T>
std::vector<std::uint8_t> encode_idx(const Tensor<T>& t) {
  static_assert(detail::idx_code<T>() != 0, "IDX stores uint8, int8, int16, int32, float and double only");
  if (t.rank() < 1) throw ShapeError("encode_idx: IDX cannot store a rank-0 tensor");
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(t.rank());
  std::vector<std::uint8_t> bytes(header + static_cast<std::size_t>(t.numel()) * sizeof(T));
  bytes[2] = detail::idx_code<T>();
  bytes[3] = static_cast<std::uint8_t>(t.rank());
  for (int d = 0; d < t.rank(); ++d) {
    if (t.size(d) > index_t{UINT32_MAX}) {
      throw ShapeError(duel::detail::cat("encode_idx: dim ", d, " of ", t.shape(), " does not fit IDX's uint32"));
    }
    detail::store_be(static_cast<std::uint32_t>(t.size(d)), bytes.data() + 4 + 4 * d);
  }
  if constexpr (sizeof(T) == 1) {
    if (t.numel() > 0) std::memcpy(bytes.data() + header, t.data(), static_cast<std::size_t>(t.numel()));
  } else {
    for (index_t i = 0; i < t.numel(); ++i)
      detail::store_be(t.data()[i], bytes.data() + header + i * index_t{sizeof(T)});
  }
  return bytes;
}

// Writes t as an IDX file, gzip-compressed when path ends in ".gz". The file is replaced atomically:
// if writing fails, an existing file at path is left as it was.
template <class T>
void write_idx(const std::filesystem::path& path, const Tensor<T>& t) {
  std::vector<std::uint8_t> bytes = encode_idx(t);
  if (path.extension() == ".gz") bytes = gzip(bytes);
  io::write_file_atomically(path, [&](io::File& file) { file.write(bytes.data(), bytes.size()); });
}

}  // namespace duel::data
