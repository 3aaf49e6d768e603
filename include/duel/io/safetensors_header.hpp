// The header of a safetensors file: which tensors it holds and where, checked strictly.
//
// A safetensors file (the format of Hugging Face's safetensors package) is
//   8 bytes    N, the header length, an unsigned little-endian integer
//   N bytes    JSON: {"name": {"dtype": "F32", "shape": [64, 100], "data_offsets": [begin, end]},
//              ..., "__metadata__": {"key": "value", ...}}, possibly padded with spaces
//   the rest   the data buffer: each tensor's elements, row-major and little-endian, at bytes
//              [begin, end) counted from the start of the buffer
// The format asks readers to check that each tensor's byte count is its element count times the
// dtype's size, and that the tensors tile the buffer exactly, with no overlap and no gap.
// parse_safetensors_header checks all of that, with overflow-safe arithmetic, before any data is
// touched, and names the file, the tensor and what was expected versus found in every error.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "duel/io/json.hpp"
#include "duel/tensor/shape.hpp"

namespace duel::io {

enum class Dtype { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

namespace detail {
struct DtypeInfo {
  Dtype dtype;
  std::string_view name;
  std::uint64_t size;  // bytes per element
};
// In the enum's order, which to_string and itemsize index by.
inline constexpr std::array<DtypeInfo, 15> dtypes{{
    {Dtype::BOOL, "BOOL", 1}, {Dtype::U8, "U8", 1}, {Dtype::I8, "I8", 1}, {Dtype::F8_E5M2, "F8_E5M2", 1},
    {Dtype::F8_E4M3, "F8_E4M3", 1},
    {Dtype::I16, "I16", 2}, {Dtype::U16, "U16", 2}, {Dtype::F16, "F16", 2}, {Dtype::BF16, "BF16", 2},
    {Dtype::I32, "I32", 4}, {Dtype::U32, "U32", 4}, {Dtype::F32, "F32", 4},
    {Dtype::F64, "F64", 8}, {Dtype::I64, "I64", 8}, {Dtype::U64, "U64", 8}}};
static_assert([] {
  for (std::size_t i = 0; i < dtypes.size(); ++i) {
    if (static_cast<std::size_t>(dtypes[i].dtype) != i) return false;
  }
  return true;
}());
}  // namespace detail

// The dtype's name in safetensors files, "F32" for Dtype::F32.
inline std::string_view to_string(Dtype dtype) { return detail::dtypes[static_cast<std::size_t>(dtype)].name; }
inline std::uint64_t itemsize(Dtype dtype) { return detail::dtypes[static_cast<std::size_t>(dtype)].size; }

// The dtype that stores C++ number type T: float is F32, double F64, std::int64_t I64, std::uint8_t U8...
template <class T>
constexpr Dtype dtype_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double> ||
                    (std::is_integral_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= 8),
                "safetensors tensors hold float, double or integers of 8 to 64 bits");
  if constexpr (std::is_same_v<T, float>) {
    return Dtype::F32;
  } else if constexpr (std::is_same_v<T, double>) {
    return Dtype::F64;
  } else {
    constexpr std::array<Dtype, 4> sign{Dtype::I8, Dtype::I16, Dtype::I32, Dtype::I64};
    constexpr std::array<Dtype, 4> unsign{Dtype::U8, Dtype::U16, Dtype::U32, Dtype::U64};
    constexpr std::size_t log2_size = std::bit_width(sizeof(T)) - 1;  // 1, 2, 4, 8 bytes -> 0, 1, 2, 3
    return std::is_signed_v<T> ? sign[log2_size] : unsign[log2_size];
  }
}

struct TensorInfo {
  std::string name;
  Dtype dtype = Dtype::F32;
  std::vector<index_t> shape;
  std::uint64_t begin = 0, end = 0;  // its bytes in the data buffer: [begin, end)
};

struct SafetensorsHeader {
  std::vector<TensorInfo> tensors;                        // in the header's order
  std::map<std::string, std::string> metadata;            // "__metadata__"
  std::map<std::string, std::size_t, std::less<>> index;  // name -> position in tensors
};

namespace detail {

// Longer shapes are refused: no real tensor has them, and a hostile header could list millions.
inline constexpr std::size_t max_file_rank = 64;

inline Dtype read_dtype(JsonReader& json, const std::string& who) {
  const std::uint64_t at = json.position();
  const std::string name = json.read_string(duel::detail::cat("a dtype string for ", who));
  for (const DtypeInfo& d : dtypes) {
    if (d.name == name) return d.dtype;
  }
  std::string known;
  for (const DtypeInfo& d : dtypes) known += duel::detail::cat(known.empty() ? "" : ", ", d.name);
  json.fail_at(at, duel::detail::cat(who, ": unknown dtype '", name, "' (known: ", known, ")"));
}

inline std::vector<index_t> read_shape(JsonReader& json, const std::string& who) {
  std::vector<index_t> shape;
  json.begin_array(duel::detail::cat("an array for the shape of ", who));
  while (json.next_item()) {
    if (shape.size() == max_file_rank) {
      json.fail(duel::detail::cat(who, ": shape has more than ", max_file_rank, " sizes"));
    }
    const std::uint64_t size = json.read_uint(duel::detail::cat("a size in the shape of ", who));
    if (size > static_cast<std::uint64_t>(std::numeric_limits<index_t>::max())) {
      json.fail(duel::detail::cat(who, ": shape size ", size, " is above 2^63-1"));
    }
    shape.push_back(static_cast<index_t>(size));
  }
  return shape;
}

inline void read_offsets(JsonReader& json, TensorInfo& info, const std::string& who) {
  std::array<std::uint64_t, 2> offsets{};
  std::size_t count = 0;
  json.begin_array(duel::detail::cat("an array [begin, end] for the data_offsets of ", who));
  while (json.next_item()) {
    if (count == 2) json.fail(duel::detail::cat(who, ": data_offsets has more than 2 numbers"));
    offsets[count++] = json.read_uint(duel::detail::cat("a byte offset in the data_offsets of ", who));
  }
  if (count != 2) json.fail(duel::detail::cat(who, ": data_offsets has ", count, " numbers, not 2 [begin, end]"));
  info.begin = offsets[0];
  info.end = offsets[1];
}

inline TensorInfo read_tensor_info(JsonReader& json, std::string name) {
  const std::string who = duel::detail::cat("tensor '", name, "'");
  constexpr std::array<std::string_view, 3> fields{"dtype", "shape", "data_offsets"};
  std::array<bool, 3> seen{};
  TensorInfo info;
  info.name = std::move(name);
  json.begin_object(duel::detail::cat("an object describing ", who));
  std::string field;
  while (json.next_key(field)) {
    const auto k = static_cast<std::size_t>(std::find(fields.begin(), fields.end(), field) - fields.begin());
    if (k == fields.size()) {
      json.fail(duel::detail::cat(who, ": unknown field '", field, "' (expected dtype, shape, data_offsets)"));
    }
    if (seen[k]) json.fail(duel::detail::cat(who, ": field '", field, "' appears twice"));
    seen[k] = true;
    if (k == 0) info.dtype = read_dtype(json, who);
    if (k == 1) info.shape = read_shape(json, who);
    if (k == 2) read_offsets(json, info, who);
  }
  for (std::size_t k = 0; k < fields.size(); ++k) {
    if (!seen[k]) json.fail(duel::detail::cat(who, ": field '", fields[k], "' is missing"));
  }
  return info;
}

inline void read_metadata(JsonReader& json, std::map<std::string, std::string>& metadata) {
  json.begin_object("an object of strings for __metadata__");
  std::string key;
  while (json.next_key(key)) {
    std::string value = json.read_string(duel::detail::cat("a string for __metadata__ entry '", key, "'"));
    if (!metadata.emplace(key, std::move(value)).second) {
      json.fail(duel::detail::cat("__metadata__ key '", key, "' appears twice"));
    }
  }
}

inline std::string shape_string(const TensorInfo& info) {
  std::string s = "[";
  for (const index_t size : info.shape) s += duel::detail::cat(s.size() > 1 ? "," : "", size);
  return s + "]";
}

// The bytes a tensor of this dtype and shape needs, or false if the sizes other than 0 multiply
// (with the item size) past 2^63-1: refused even when a 0 makes the tensor empty, so that no
// product of its sizes can overflow an index_t later.
inline bool byte_count(const TensorInfo& info, std::uint64_t& bytes) {
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<index_t>::max());
  bytes = itemsize(info.dtype);
  bool empty = false;
  for (const index_t size : info.shape) {
    const auto s = static_cast<std::uint64_t>(size);
    if (s == 0) empty = true;
    else if (bytes > max / s) return false;
    else bytes *= s;
  }
  if (empty) bytes = 0;
  return true;
}

// Each tensor's offsets must fit its shape and the buffer; sorted by offset, the tensors must
// then tile [0, buffer_size) exactly: each begins where the one before ended.
inline void check_layout(const SafetensorsHeader& header, std::uint64_t buffer_size, const std::string& where) {
  auto fail = [&](const auto&... parts) { throw IoError(duel::detail::cat(where, ": ", parts...)); };
  auto range = [](const TensorInfo& t) { return duel::detail::cat("[", t.begin, ", ", t.end, "]"); };
  for (const TensorInfo& t : header.tensors) {
    std::uint64_t bytes = 0;
    if (!byte_count(t, bytes)) fail("tensor '", t.name, "': shape ", shape_string(t), " needs over 2^63 bytes");
    if (t.begin > t.end) fail("tensor '", t.name, "': data_offsets ", range(t), " end before they begin");
    if (t.end > buffer_size) {
      fail("tensor '", t.name, "': data_offsets ", range(t), " run past the end of the ", buffer_size,
           "-byte data buffer");
    }
    if (t.end - t.begin != bytes) {
      fail("tensor '", t.name, "': ", to_string(t.dtype), " ", shape_string(t), " needs ", bytes,
           " bytes, but data_offsets ", range(t), " hold ", t.end - t.begin);
    }
  }
  std::vector<const TensorInfo*> sorted;
  for (const TensorInfo& t : header.tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return std::pair(a->begin, a->end) < std::pair(b->begin, b->end);
  });
  const TensorInfo* previous = nullptr;
  std::uint64_t covered = 0;
  for (const TensorInfo* t : sorted) {
    if (t->begin < covered) {
      fail("tensor '", t->name, "' at bytes ", range(*t), " overlaps tensor '", previous->name, "' at bytes ",
           range(*previous));
    }
    if (t->begin > covered) fail("bytes [", covered, ", ", t->begin, ") of the data buffer belong to no tensor");
    covered = t->end;
    previous = t;
  }
  if (covered != buffer_size) fail("bytes [", covered, ", ", buffer_size, ") of the data buffer belong to no tensor");
}

}  // namespace detail

// Parses and checks the JSON header of a safetensors file whose data buffer (the bytes after the
// header) is buffer_size bytes long. file names the file in errors; header byte positions are
// counted from the start of the file.
inline SafetensorsHeader parse_safetensors_header(std::string_view json_text, std::uint64_t buffer_size,
                                                  const std::string& file) {
  const std::string where = duel::detail::cat("safetensors '", file, "'");
  JsonReader json(json_text, where + ": header", 8);
  if (json_text.empty() || json_text.front() != '{') json.fail("the header must start with '{'");
  SafetensorsHeader header;
  bool have_metadata = false;
  json.begin_object();
  std::string name;
  while (json.next_key(name)) {
    if (name == "__metadata__") {
      if (std::exchange(have_metadata, true)) json.fail("__metadata__ appears twice");
      detail::read_metadata(json, header.metadata);
    } else {
      if (header.index.contains(name)) json.fail(duel::detail::cat("tensor '", name, "' appears twice"));
      header.index.emplace(name, header.tensors.size());
      header.tensors.push_back(detail::read_tensor_info(json, name));
    }
  }
  json.finish();
  detail::check_layout(header, buffer_size, where);
  return header;
}

}  // namespace duel::io
