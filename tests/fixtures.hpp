// Reading the PyTorch reference fixtures (tests/fixtures/README.md) and comparing Duel against them.
//
//   fixtures::for_each_case("conv2d", [](const fixtures::Case& c) {
//     fixtures::check_op<T>(c, {"x", "weight", "bias"}, [&](const fixtures::Inputs<T>& in) {
//       return duel::conv2d(in["x"], in["weight"], in["bias"], {.stride = c.size2("stride")});
//     });
//   });
//
// check_op builds a Var<T> (requiring grad) from every input role the case has, runs the op,
// backpropagates the stored grad_out and compares out and every stored grad_<role>. The stored
// values are float64; the comparison is norm-wise, as the README recommends:
//   |got - ref| <= rtol * max(|ref|, max|ref| over the tensor)
// which accepts the rounding of elements that come from cancellation but nothing larger.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "duel/autograd.hpp"
#include "duel/io/safetensors.hpp"
#include "duel/ops/im2col.hpp"

namespace duel::fixtures {

// The tolerance for Duel computing in T: float64 agrees with PyTorch to rounding; float32 to 1e-5,
// or 1e-4 for long reductions (batch-norm gradients, big convolution weight gradients).
template <class T>
double rtol(bool long_reduction = false) {
  if constexpr (std::is_same_v<T, double>) return 1e-10;
  else return long_reduction ? 1e-4 : 1e-5;
}

// "key=value;key=value" -> {key: value}; a value may itself hold '=' (split at the first one).
inline std::map<std::string, std::string> parse_params(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream parts(text);
  for (std::string part; std::getline(parts, part, ';');) {
    const auto eq = part.find('=');
    if (eq == std::string::npos) throw ValueError("fixture parameter without '=': " + part);
    out[part.substr(0, eq)] = part.substr(eq + 1);
  }
  return out;
}

// One case of a family file: its parameters and its tensors by role.
class Case {
 public:
  Case(std::shared_ptr<const io::SafetensorsFile> file, std::string id, std::map<std::string, std::string> params)
      : file_(std::move(file)), id_(std::move(id)), params_(std::move(params)) {}

  const std::string& id() const { return id_; }

  const std::string& str(const std::string& key) const {
    auto it = params_.find(key);
    if (it == params_.end()) throw ValueError(detail::cat(id_, ": no parameter '", key, "'"));
    return it->second;
  }
  bool has_param(const std::string& key) const { return params_.count(key) != 0; }
  double number(const std::string& key) const { return parse_number(str(key)); }
  index_t integer(const std::string& key) const { return static_cast<index_t>(number(key)); }
  bool flag(const std::string& key) const { return number(key) != 0; }
  // "H,W" -> Size2(H, W)
  Size2 size2(const std::string& key) const {
    const std::vector<index_t> v = integers(key);
    if (v.size() != 2) throw ValueError(detail::cat(id_, ": parameter '", key, "' is not a pair"));
    return {v[0], v[1]};
  }
  // "a,b,c,..." -> {a, b, c, ...}
  std::vector<index_t> integers(const std::string& key) const {
    std::vector<index_t> out;
    std::istringstream parts(str(key));
    for (std::string part; std::getline(parts, part, ',');) out.push_back(static_cast<index_t>(parse_number(part)));
    return out;
  }

  bool has(const std::string& role) const { return file_->contains(name(role)); }
  // Every role of this case that starts with prefix ("grad." lists the parameter gradients).
  std::vector<std::string> roles_with_prefix(const std::string& prefix) const {
    std::vector<std::string> out;
    const std::string full = name(prefix);
    for (const std::string& n : file_->names()) {
      if (n.compare(0, full.size(), full) == 0) out.push_back(n.substr(id_.size() + 1));
    }
    return out;
  }

  // The stored values as float64 (int64 ones, such as num_batches_tracked, converted).
  Tensor<double> ref(const std::string& role) const {
    if (file_->dtype(name(role)) == io::Dtype::I64) return file_->tensor<std::int64_t>(name(role)).to<double>();
    return file_->tensor<double>(name(role));
  }
  // The stored values as T: float64 converted (exact for the inputs, drawn in float32), int64 as is.
  template <class T>
  Tensor<T> tensor(const std::string& role) const {
    if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) return file_->tensor<T>(name(role));
    else return ref(role).template to<T>();
  }
  template <class T>
  Var<T> var(const std::string& role, bool requires_grad = true) const {
    return Var<T>(tensor<T>(role), requires_grad);
  }

  // "conv2d.07 grad_weight (float32)", for messages.
  template <class T>
  std::string label(const std::string& role) const {
    return detail::cat(id_, " ", role, " (", dtype_name<T>(), ")");
  }

 private:
  std::string name(const std::string& role) const { return id_ + "." + role; }

  double parse_number(const std::string& text) const {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') throw ValueError(detail::cat(id_, ": '", text, "' is not a number"));
    return v;
  }

  std::shared_ptr<const io::SafetensorsFile> file_;
  std::string id_;
  std::map<std::string, std::string> params_;
};

// Every case of tests/fixtures/<family>.safetensors, in order.
inline std::vector<Case> cases(const std::string& family) {
  auto file = std::make_shared<const io::SafetensorsFile>(
      io::SafetensorsFile::open(std::string(DUEL_FIXTURES_DIR) + "/" + family + ".safetensors"));
  const auto& meta = file->metadata();
  REQUIRE(meta.at("family") == family);
  const int n = std::stoi(meta.at("num_cases"));
  REQUIRE(n > 0);
  std::vector<Case> out;
  for (int i = 0; i < n; ++i) {
    const std::string id = detail::cat(family, ".", i < 10 ? "0" : "", i);
    out.emplace_back(file, id, parse_params(meta.at(id)));
  }
  return out;
}

// Runs fn on every case; an exception fails that case (with its id) and the others still run.
inline void for_each_case(const std::string& family, const std::function<void(const Case&)>& fn) {
  for (const Case& c : cases(family)) {
    INFO("fixture case ", c.id());
    try {
      fn(c);
    } catch (const std::exception& e) {
      FAIL_CHECK(c.id() << " threw: " << e.what());
    }
  }
}

// CHECKs |got - ref| <= rtol * max(|ref|, max|ref|) element-wise; on failure reports the worst
// element: its index, both values and the case and role (in label).
template <class T>
void check_close(const std::string& label, const Tensor<T>& got, const Tensor<double>& ref, double rtol) {
  if (!(got.shape() == ref.shape())) {
    FAIL_CHECK(label << ": shape " << got.shape() << ", PyTorch " << ref.shape());
    return;
  }
  double scale = 0;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  double worst = 0;
  index_t at = -1;
  for (index_t i = 0; i < ref.numel(); ++i) {
    const double r = ref.data()[i], err = std::abs(static_cast<double>(got.data()[i]) - r);
    const double allowed = rtol * std::max(std::abs(r), scale);
    const double ratio = err == 0 ? 0 : allowed == 0 ? INFINITY : err / allowed;
    if (!(ratio <= worst)) {  // NaN counts as the worst
      worst = std::isnan(ratio) ? INFINITY : ratio;
      at = i;
    }
  }
  if (worst <= 1) {
    CHECK(worst <= 1);
    return;
  }
  const double g = static_cast<double>(got.data()[at]), r = ref.data()[at];
  std::ostringstream msg;
  msg.precision(17);
  msg << label << ": worst element " << detail::flat_index_str(ref.shape(), at) << " is " << g << ", PyTorch " << r
      << ": |diff| " << std::abs(g - r) << " is " << worst << " x the allowed " << rtol << " x max(|ref|, max|ref| = "
      << scale << ")";
  FAIL_CHECK(msg.str());
}

template <class T>
void check_close(const std::string& label, const Var<T>& got, const Tensor<double>& ref, double rtol) {
  if (!got.defined()) {
    FAIL_CHECK(label << ": Duel gave no value (undefined Var)");
    return;
  }
  check_close(label, got.value(), ref, rtol);
}

// The inputs of one case as Vars, by role; a role the case lacks (bias with bias=0) is undefined.
template <class T>
class Inputs {
 public:
  Var<T> operator[](const std::string& role) const {
    auto it = vars_.find(role);
    return it == vars_.end() ? Var<T>() : it->second;
  }
  void add(const std::string& role, Var<T> v) { vars_.emplace(role, std::move(v)); }
  const std::map<std::string, Var<T>>& all() const { return vars_; }

 private:
  std::map<std::string, Var<T>> vars_;
};

// Runs op on the case's inputs (those of roles it has), backpropagates grad_out, and checks out
// and every stored grad_<role> against PyTorch. grad_rtol overrides the gradients' tolerance.
template <class T, class Op>
Var<T> check_op(const Case& c, std::initializer_list<const char*> roles, Op op, double grad_rtol = rtol<T>()) {
  Inputs<T> in;
  for (const char* role : roles) {
    if (c.has(role)) in.add(role, c.var<T>(role));
  }
  Var<T> out = op(in);
  check_close(c.label<T>("out"), out, c.ref("out"), rtol<T>());
  out.backward(Var<T>(c.tensor<T>("grad_out")));
  for (const auto& [role, v] : in.all()) {
    if (c.has("grad_" + role)) check_close(c.label<T>("grad_" + role), v.grad(), c.ref("grad_" + role), grad_rtol);
  }
  return out;
}

}  // namespace duel::fixtures
