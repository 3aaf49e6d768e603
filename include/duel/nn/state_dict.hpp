// StateDict: named tensors in a fixed order, plus string metadata. It is what a module or an
// optimizer saves and loads (PyTorch's state_dict), and what a safetensors file holds.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "duel/tensor/tensor.hpp"

namespace duel {

class StateDict {
 public:
  using Entry = std::pair<std::string, Tensor<float>>;

  // Adds an entry; a name may appear only once.
  void insert(std::string name, Tensor<float> value) {
    if (contains(name)) throw ValueError(detail::cat("StateDict: duplicate entry '", name, "'"));
    index_.emplace(name, entries_.size());
    entries_.emplace_back(std::move(name), std::move(value));
  }

  bool contains(const std::string& name) const { return index_.count(name) != 0; }

  const Tensor<float>& at(const std::string& name) const { return entries_[position(name)].second; }
  Tensor<float>& at(const std::string& name) { return entries_[position(name)].second; }

  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  auto begin() const { return entries_.begin(); }
  auto end() const { return entries_.end(); }

  // The entries under prefix ("G" selects "G.main.0.weight" as "main.0.weight"); metadata under
  // the same prefix comes along the same way.
  StateDict sub(const std::string& prefix) const {
    StateDict out;
    const std::string p = prefix + ".";
    for (const auto& [name, value] : entries_) {
      if (name.compare(0, p.size(), p) == 0) out.insert(name.substr(p.size()), value);
    }
    for (const auto& [key, value] : metadata) {
      if (key.compare(0, p.size(), p) == 0) out.metadata.emplace(key.substr(p.size()), value);
    }
    return out;
  }

  // Adds every entry and metadata item of other, renamed prefix.name.
  void merge(const std::string& prefix, const StateDict& other) {
    for (const auto& [name, value] : other) insert(prefix + "." + name, value);
    for (const auto& [key, value] : other.metadata) metadata[prefix + "." + key] = value;
  }

  std::map<std::string, std::string> metadata;  // small facts beside the tensors: step counts, settings

 private:
  std::size_t position(const std::string& name) const {
    auto it = index_.find(name);
    if (it == index_.end()) throw ValueError(detail::cat("StateDict: no entry '", name, "'"));
    return it->second;
  }

  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

}  // namespace duel
