// Var<T>: a tensor that remembers how it was made, so that gradients can flow back through it.
//
// A Var is a cheap handle (a shared pointer) to a Node. A node holds the value, the gradient that
// backward() accumulates into it, and, for a node made by an op, the op's inputs and its backward
// function. Leaves are the Vars the user makes (parameters, data); every op on Vars records a new
// node whose inputs are its operands, which builds the graph as the computation runs:
//
//     x (leaf) ──┐
//                ├── mul ── sum ── loss        loss.backward() walks it from right to left,
//     w (leaf) ──┘                             calling each node's backward function.
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "duel/autograd/grad_mode.hpp"
#include "duel/tensor/factories.hpp"
#include "duel/tensor/tensor.hpp"

namespace duel {

template <class T>
struct Node;
template <class T>
class Var;

template <class T>
using GradList = std::vector<Var<T>>;

// What an op's backward function is given.
template <class T>
struct BackwardContext {
  const Var<T>& grad;              // dL/d(output), the shape of the output
  const Var<T>& output;            // the op's own result, for derivatives written in terms of it
  const std::vector<bool>& needs;  // needs[i]: whether input i wants a gradient
  bool needs_grad(std::size_t i) const { return needs[i]; }
};

// Returns one gradient per input, in order (an undefined Var where none is needed). It must be
// written with differentiable ops, so that backward with create_graph can differentiate it again.
template <class T>
using BackwardFn = std::function<GradList<T>(const BackwardContext<T>&)>;

struct BackwardOptions {
  bool retain_graph = false;  // keep the graph so that backward can run through it again
  bool create_graph = false;  // record the backward pass itself, for second derivatives
};

template <class T>
class Var {
  static_assert(std::is_floating_point_v<T>, "Var<T> is differentiable: T is float or double");

 public:
  using value_type = T;

  // An undefined Var (no node), as an absent gradient.
  Var() = default;
  explicit Var(Tensor<T> value, bool requires_grad = false)
      : node_(std::make_shared<Node<T>>(std::move(value), requires_grad)) {}
  explicit Var(std::shared_ptr<Node<T>> node) : node_(std::move(node)) {}

  bool defined() const { return node_ != nullptr; }
  const Tensor<T>& value() const { return node_->value; }
  // The value to change in place, as PyTorch's .data (optimizer steps, initialisation).
  Tensor<T>& value() { return node_->value; }
  const Shape& shape() const { return node_->value.shape(); }
  int rank() const { return shape().rank(); }
  index_t size(int dim) const { return shape().size(dim); }
  index_t numel() const { return shape().numel(); }
  T item() const { return value().item(); }

  bool requires_grad() const { return node_ && node_->requires_grad; }
  Var& set_requires_grad(bool on) {
    if (!is_leaf()) throw Error("set_requires_grad: only leaves can change requires_grad; use detach()");
    node_->requires_grad = on;
    return *this;
  }
  // A leaf is a Var not made by a recorded op: a parameter, an input, a detached value.
  bool is_leaf() const { return !node_->backward && node_->inputs.empty() && !node_->released; }
  // The name of the op that made this Var ("" for a leaf).
  const char* op_name() const { return node_->name; }

  // The gradient accumulated by backward() (undefined before the first backward or after zero_grad).
  const Var<T>& grad() const { return node_->grad; }
  void set_grad(Var<T> g) { node_->grad = std::move(g); }
  void zero_grad() { node_->grad = Var<T>(); }

  // The same value, cut from the graph: gradients do not flow through the result.
  Var<T> detach() const { return Var<T>(node_->value, false); }

  // Backpropagates from this Var, which must hold one element, with dL/dL = 1.
  void backward(const BackwardOptions& options = {}) const;
  // Backpropagates the given gradient of some scalar with respect to this Var.
  void backward(const Var<T>& grad_output, const BackwardOptions& options = {}) const;

  Node<T>* node() const { return node_.get(); }
  const std::shared_ptr<Node<T>>& node_ptr() const { return node_; }

 private:
  std::shared_ptr<Node<T>> node_;
};

template <class T>
struct Node {
  Node(Tensor<T> v, bool rg) : value(std::move(v)), requires_grad(rg) {}
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Tears down the graph behind this node without recursion: a chain of 100,000 ops would
  // otherwise destroy node after node on the call stack and overflow it. Nodes no one else holds
  // are emptied one at a time; the backward closures only capture Vars that are also inputs, so
  // dropping a closure never frees a node early.
  ~Node() {
    std::vector<std::shared_ptr<Node>> pending = std::move(inputs);
    backward = nullptr;
    if (grad.defined()) pending.push_back(grad.node_ptr());
    grad = Var<T>();
    while (!pending.empty()) {
      std::shared_ptr<Node> n = std::move(pending.back());
      pending.pop_back();
      if (n.use_count() != 1) continue;  // still held elsewhere: not ours to take apart
      for (auto& in : n->inputs) pending.push_back(std::move(in));
      n->inputs.clear();
      n->backward = nullptr;
      if (n->grad.defined()) pending.push_back(n->grad.node_ptr());
      n->grad = Var<T>();
    }
  }

  Tensor<T> value;
  Var<T> grad;
  bool requires_grad = false;
  std::vector<std::shared_ptr<Node>> inputs;  // the op's operands, in order
  BackwardFn<T> backward;                     // empty for leaves
  const char* name = "";                      // the op's name, for messages
  bool released = false;                      // backward went through and freed this node's closure and edges
};

// Records the result of an op. When grad mode is on and some input requires a gradient, the
// result becomes a node of the graph with the given backward function; otherwise it is a plain
// Var holding the value and nothing is recorded.
// An input may be undefined (an absent bias, say); it then gets no gradient.
template <class T>
Var<T> record(const char* name, Tensor<T> value, const std::type_identity_t<std::vector<Var<T>>>& inputs,
              std::type_identity_t<BackwardFn<T>> backward) {
  bool any = false;
  for (const Var<T>& in : inputs) any = any || in.requires_grad();
  if (!any || !GradMode::is_enabled()) return Var<T>(std::move(value));
  auto node = std::make_shared<Node<T>>(std::move(value), true);
  node->inputs.reserve(inputs.size());
  for (const Var<T>& in : inputs) node->inputs.push_back(in.node_ptr());
  node->backward = std::move(backward);
  node->name = name;
  return Var<T>(std::move(node));
}

}  // namespace duel

// backward() is defined by the engine, which needs the complete Var; including it here means that
// any file that can make a Var can also call backward() on it.
#include "duel/autograd/engine.hpp"
