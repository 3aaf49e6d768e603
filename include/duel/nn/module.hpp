// Module: the base of every layer and network, as torch.nn.Module.
//
// A module owns parameters (Vars that the optimizer trains), buffers (tensors that are state but
// not trained, such as batch norm's running statistics) and child modules, each registered under
// a name. Names nest with dots, so a network's state is a flat dictionary like PyTorch's:
// "main.0.weight", "main.1.running_mean", ...
//
// Parameters and buffers are shared handles: the member a layer keeps and the entry registered
// here are the same object, and loading a state dict copies values into them in place.
#pragma once

#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "duel/nn/state_dict.hpp"
#include "duel/ops.hpp"

namespace duel::nn {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  Module(const Module&) = delete;  // a copy would silently share its parameters
  Module& operator=(const Module&) = delete;
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  // The type name shown when printing, e.g. "Linear".
  virtual std::string name() const = 0;
  // The settings shown inside the parentheses, e.g. "in_features=100, out_features=256, bias=True".
  virtual std::string extra_repr() const { return ""; }

  // Modules with one input and one output override this; Sequential chains them.
  virtual Var<float> forward(const Var<float>& /*x*/) {
    throw Error(detail::cat(name(), " has no single-input forward(x)"));
  }
  Var<float> operator()(const Var<float>& x) { return forward(x); }

  // Every parameter below this module by dotted name; only this module's own with recurse = false.
  std::vector<std::pair<std::string, Var<float>>> named_parameters(bool recurse = true) const {
    if (!recurse) return parameters_;
    std::vector<std::pair<std::string, Var<float>>> out;
    visit("", [&](const std::string& prefix, const Module& m) {
      for (const auto& [n, p] : m.parameters_) out.emplace_back(prefix + n, p);
    });
    return out;
  }

  std::vector<Var<float>> parameters() const {
    std::vector<Var<float>> out;
    for (auto& [n, p] : named_parameters()) out.push_back(p);
    return out;
  }

  std::vector<std::pair<std::string, Tensor<float>>> named_buffers() const {
    std::vector<std::pair<std::string, Tensor<float>>> out;
    visit("", [&](const std::string& prefix, const Module& m) {
      for (const auto& [n, b] : m.buffers_) out.emplace_back(prefix + n, b);
    });
    return out;
  }

  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& named_children() const { return children_; }

  // Calls fn on this module and every module below it, parents first.
  void apply(const std::function<void(Module&)>& fn) {
    fn(*this);
    for (auto& [n, child] : children_) child->apply(fn);
  }

  index_t num_parameters() const {
    index_t n = 0;
    for (const auto& [name_, p] : named_parameters()) n += p.numel();
    return n;
  }

  // Training mode (batch statistics, dropout on) or evaluation mode, for this module and below.
  void train(bool on = true) {
    apply([on](Module& m) { m.training_ = on; });
  }
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Forgets the gradients of every parameter (they become undefined, as with set_to_none).
  void zero_grad() {
    for (Var<float>& p : parameters()) p.zero_grad();
  }

  // Parameters and buffers by dotted name, as copies (later training does not change them).
  StateDict state_dict() const {
    StateDict out;
    for (const auto& [n, p] : named_parameters()) out.insert(n, p.value().clone());
    for (const auto& [n, b] : named_buffers()) out.insert(n, b.clone());
    return out;
  }

  // Copies every entry into the parameter or buffer of the same name. Strict: a missing, an
  // unexpected or a mis-shaped entry is an error that lists every offender, and nothing is changed.
  void load_state_dict(const StateDict& state, bool strict = true) {
    std::vector<std::pair<std::string, Tensor<float>>> targets;
    for (auto& [n, p] : named_parameters()) targets.emplace_back(n, p.value());
    for (auto& [n, b] : named_buffers()) targets.emplace_back(n, b);
    std::vector<std::string> missing, mismatched, unexpected;
    for (const auto& [n, t] : targets) {
      if (!state.contains(n)) missing.push_back(n);
      else if (!(state.at(n).shape() == t.shape())) {
        mismatched.push_back(detail::cat(n, ": expected ", t.shape(), ", found ", state.at(n).shape()));
      }
    }
    for (const auto& [n, t] : state) {
      bool known = false;
      for (const auto& target : targets) known = known || target.first == n;
      if (!known) unexpected.push_back(n);
    }
    if (!mismatched.empty() || (strict && (!missing.empty() || !unexpected.empty()))) {
      std::string msg = "load_state_dict: state does not fit " + name();
      auto list = [&msg](const char* what, const std::vector<std::string>& items) {
        if (items.empty()) return;
        msg += detail::cat("\n  ", what, " (", items.size(), "):");
        for (const auto& s : items) msg += "\n    " + s;
      };
      list("missing", missing);
      list("unexpected", unexpected);
      list("wrong shape", mismatched);
      throw ValueError(msg);
    }
    for (auto& [n, t] : targets) {
      if (state.contains(n)) t.copy_(state.at(n));
    }
  }

  // PyTorch-style description, one line per module, with parameter counts.
  std::string repr(int indent = 0) const {
    std::ostringstream out;
    out << name() << '(' << extra_repr();
    if (!children_.empty()) {
      out << '\n';
      for (const auto& [n, child] : children_) {
        out << std::string(static_cast<std::size_t>(indent + 2), ' ') << '(' << n << "): " << child->repr(indent + 2);
        if (const index_t k = child->num_parameters()) out << "  # " << k << " parameters";
        out << '\n';
      }
      out << std::string(static_cast<std::size_t>(indent), ' ');
    }
    out << ')';
    return out.str();
  }

  friend std::ostream& operator<<(std::ostream& out, const Module& m) {
    return out << m.repr() << "\n# total: " << m.num_parameters() << " parameters";
  }

 protected:
  Var<float> register_parameter(std::string n, Tensor<float> value, bool requires_grad = true) {
    Var<float> p(std::move(value), requires_grad);
    parameters_.emplace_back(std::move(n), p);
    return p;
  }

  Tensor<float> register_buffer(std::string n, Tensor<float> value) {
    buffers_.emplace_back(std::move(n), value);
    return value;
  }

  template <class M>
  std::shared_ptr<M> register_module(std::string n, std::shared_ptr<M> module) {
    children_.emplace_back(std::move(n), module);
    return module;
  }

 private:
  void visit(const std::string& prefix, const std::function<void(const std::string&, const Module&)>& fn) const {
    fn(prefix, *this);
    for (const auto& [n, child] : children_) child->visit(prefix + n + ".", fn);
  }

  std::vector<std::pair<std::string, Var<float>>> parameters_;
  std::vector<std::pair<std::string, Tensor<float>>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace duel::nn
