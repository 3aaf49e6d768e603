// safetensors files: Duel's checkpoints, readable by Python's safetensors package and back.
//
//   save_safetensors("g.safetensors", generator.state_dict());   // F32 tensors + metadata
//   StateDict state = load_safetensors("g.safetensors");
//   auto file = SafetensorsFile::open("pytorch_export.safetensors");   // any dtypes, read lazily
//   Tensor<double> w = file.tensor<double>("main.0.weight");
//
// The layout is described in safetensors_header.hpp. Opening a file reads and checks only its
// header (at most 100 MB, and never more than the file holds); tensor() then reads one tensor's
// bytes straight into a new Tensor. The writer lays the data out as the reference implementation
// does: tensors back to back in order, the JSON header compact and padded with spaces to a
// multiple of 8 bytes, so that the data buffer starts 8-byte aligned.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "duel/io/atomic_file.hpp"
#include "duel/io/file.hpp"
#include "duel/io/safetensors_header.hpp"
#include "duel/nn/state_dict.hpp"
#include "duel/tensor/tensor.hpp"

namespace duel::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and is copied as it is: Duel needs a little-endian machine");

class SafetensorsFile {
 public:
  // The safetensors reference refuses headers over 100 MB; so do we.
  static constexpr std::uint64_t max_header_size = 100'000'000;

  // Opens the file and checks its header; the tensors are read later, by tensor<T>(). The file stays
  // open, so a file replaced meanwhile (as write_file_atomically does) is still read whole and old.
  static SafetensorsFile open(const std::filesystem::path& path) {
    File file(path, "rb");
    const std::string where = duel::detail::cat("safetensors '", path.string(), "'");
    const std::uint64_t size = file.size();
    if (size < 8) {
      throw IoError(duel::detail::cat(where, ": the file has ", size, " bytes, fewer than the 8 of the header length"));
    }
    std::array<unsigned char, 8> length_bytes{};
    file.read_exact(length_bytes.data(), 8);
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = length << 8 | length_bytes[static_cast<std::size_t>(i)];
    if (length > max_header_size) {
      throw IoError(duel::detail::cat(where, ": header length ", length, " is over the limit of ", max_header_size));
    }
    if (length > size - 8) {
      throw IoError(duel::detail::cat(where, ": header length ", length, " is more than the ", size - 8,
                                      " bytes after it (truncated or not a safetensors file?)"));
    }
    std::string json(static_cast<std::size_t>(length), '\0');
    file.read_exact(json.data(), json.size());
    return SafetensorsFile(std::move(file), parse_safetensors_header(json, size - 8 - length, path.string()),
                           8 + length);
  }

  const std::filesystem::path& path() const { return file_.path(); }
  // Every tensor's name, dtype, shape and offsets, in the header's order.
  const std::vector<TensorInfo>& tensors() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }

  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const TensorInfo& t : header_.tensors) out.push_back(t.name);
    return out;
  }

  bool contains(std::string_view name) const { return header_.index.find(name) != header_.index.end(); }

  const TensorInfo& info(std::string_view name) const {
    auto it = header_.index.find(name);
    if (it == header_.index.end()) throw IoError(duel::detail::cat(where(), ": there is no tensor '", name, "'"));
    return header_.tensors[it->second];
  }

  Dtype dtype(std::string_view name) const { return info(name).dtype; }

  // The shape as a Duel Shape, which has at most Shape::max_rank dimensions.
  Shape shape(std::string_view name) const {
    const TensorInfo& t = info(name);
    if (t.shape.size() > static_cast<std::size_t>(Shape::max_rank)) {
      throw IoError(duel::detail::cat(where(), ": tensor '", name, "' has ", t.shape.size(),
                                      " dimensions; Duel's tensors have at most ", Shape::max_rank));
    }
    return Shape(std::span<const index_t>(t.shape));
  }

  // The tensor's values. T must be the C++ type of its dtype exactly (float for F32, double for
  // F64, std::int64_t for I64, std::uint8_t for U8...): a checkpoint is never converted silently.
  template <class T>
  Tensor<T> tensor(std::string_view name) const {
    const TensorInfo& t = info(name);
    if (t.dtype != dtype_of<T>()) {
      throw IoError(duel::detail::cat(where(), ": tensor '", name, "' is ", to_string(t.dtype), ", but ",
                                      to_string(dtype_of<T>()), " was asked for"));
    }
    Tensor<T> out = Tensor<T>::empty(shape(name));
    if (t.end > t.begin) {
      file_.seek(data_start_ + t.begin);
      file_.read_exact(out.data(), static_cast<std::size_t>(t.end - t.begin));
    }
    return out;
  }

 private:
  SafetensorsFile(File file, SafetensorsHeader header, std::uint64_t data_start)
      : file_(std::move(file)), header_(std::move(header)), data_start_(data_start) {}

  std::string where() const { return duel::detail::cat("safetensors '", path().string(), "'"); }

  mutable File file_;  // reading moves its position, which is no visible state
  SafetensorsHeader header_;
  std::uint64_t data_start_;
};

// Writes every tensor of state as F32, in state's order, with state.metadata as __metadata__.
// The file is replaced atomically: a failure leaves the previous checkpoint intact.
inline void save_safetensors(const std::filesystem::path& path, const StateDict& state) {
  std::string header = "{";
  if (!state.metadata.empty()) {
    header += "\"__metadata__\":{";
    for (const auto& [key, value] : state.metadata) header += json_quote(key) + ":" + json_quote(value) + ",";
    header.back() = '}';
    header += ",";
  }
  std::uint64_t offset = 0;
  for (const auto& [name, value] : state) {
    if (name == "__metadata__") throw ValueError("save_safetensors: a tensor may not be named __metadata__");
    const auto bytes = static_cast<std::uint64_t>(value.numel()) * sizeof(float);
    header += json_quote(name) + ":{\"dtype\":\"F32\",\"shape\":[";
    for (int d = 0; d < value.rank(); ++d) header += duel::detail::cat(d ? "," : "", value.size(d));
    header += duel::detail::cat("],\"data_offsets\":[", offset, ",", offset + bytes, "]},");
    offset += bytes;
  }
  if (header.size() > 1) header.pop_back();
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  if (header.size() > SafetensorsFile::max_header_size) {
    throw ValueError(duel::detail::cat("save_safetensors: the header would be ", header.size(),
                                       " bytes, over the limit of ", SafetensorsFile::max_header_size));
  }
  write_file_atomically(path, [&](File& out) {
    std::array<unsigned char, 8> length{};
    for (std::size_t i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(header.size() >> (8 * i));
    out.write(length.data(), length.size());
    out.write(header);
    for (const auto& entry : state) {
      out.write(entry.second.data(), static_cast<std::size_t>(entry.second.numel()) * sizeof(float));
    }
  });
}

// Reads a file of F32 tensors (such as save_safetensors writes) into a StateDict, in the file's
// order, with its metadata. Any other dtype is an IoError naming the tensor.
inline StateDict load_safetensors(const std::filesystem::path& path) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  StateDict state;
  for (const TensorInfo& t : file.tensors()) state.insert(t.name, file.tensor<float>(t.name));
  state.metadata = file.metadata();
  return state;
}

}  // namespace duel::io
