// The backward engine: walks the graph from the outputs to the leaves and applies the chain rule.
//
// 1. A depth-first search from the outputs (with an explicit stack, never recursion) lists every
//    node that requires a gradient, in post-order; reversed, that is a topological order: each
//    node comes before the nodes it was made from.
// 2. Walking that order, each node's accumulated gradient dL/d(node) is handed to its backward
//    function, and the gradients it returns are added into its inputs' accumulators.
// 3. Leaves keep their sum in .grad (backward) or it is returned to the caller (grad).
//
// The backward functions run with grad mode set to create_graph: normally off, so nothing is
// recorded; on, and the gradients are themselves Vars with a graph, ready to be differentiated
// again (gradient penalties need exactly that).
#pragma once

#include <unordered_map>

#include "duel/autograd/var.hpp"

namespace duel {
namespace detail {

// a + b for gradients of one shape; recorded only when grad mode is on (create_graph).
template <class T>
Var<T> add_grads(const Var<T>& a, const Var<T>& b) {
  Tensor<T> sum = Tensor<T>::empty(a.shape());
  sum.as_array() = a.value().as_array() + b.value().as_array();
  return record<T>("add", std::move(sum), {a, b}, [](const BackwardContext<T>& ctx) -> GradList<T> {
    return {ctx.grad, ctx.grad};  // d(a + b)/da = d(a + b)/db = 1
  });
}

// A copy of g in a buffer of its own (recorded when grad mode is on, so create_graph keeps its
// graph). A leaf's .grad starts as such a copy: ops pass one gradient Var to several inputs
// (add gives both operands dL/dz itself), and an optimizer that scales one .grad in place must
// not scale another leaf's, nor the caller's grad_output.
template <class T>
Var<T> clone_grad(const Var<T>& g) {
  return record<T>("clone", g.value().clone(), {g},
                   [](const BackwardContext<T>& ctx) -> GradList<T> { return {ctx.grad}; });
}

template <class T>
struct NodeInfo {
  Var<T> grad;                // dL/d(node) summed over every use of the node so far
  bool leads_to_input = false;  // some requested input is this node or lies behind it
  bool behind_input = false;    // some requested input lies strictly behind it
  int input_slot = -1;          // position in the requested inputs, or -1
};

// Runs the chain rule from outputs (seeded with grad_outputs). With no inputs, gradients of leaves
// are accumulated into their .grad; with inputs, their gradients are returned instead and no
// .grad is touched.
template <class T>
std::vector<Var<T>> run_backward(const std::vector<Var<T>>& outputs, const std::vector<Var<T>>& grad_outputs,
                                 const std::vector<Var<T>>& inputs, const BackwardOptions& options, bool allow_unused) {
  using NodePtr = std::shared_ptr<Node<T>>;
  std::unordered_map<Node<T>*, NodeInfo<T>> info;
  const bool accumulate = inputs.empty();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) throw Error(detail::cat("grad: input ", i, " does not require grad"));
    info[inputs[i].node()].input_slot = static_cast<int>(i);
  }

  // 1. Post-order DFS over nodes that require grad.
  std::vector<NodePtr> post_order;
  std::vector<std::pair<NodePtr, std::size_t>> stack;  // node, next input to visit
  std::unordered_map<Node<T>*, bool> visited;
  for (const Var<T>& out : outputs) {
    if (!out.requires_grad()) {
      throw Error("backward: the output does not require grad (no input of the graph has requires_grad set, "
                  "or it was computed under NoGradGuard)");
    }
    if (visited[out.node()]) continue;
    visited[out.node()] = true;
    stack.emplace_back(out.node_ptr(), 0);
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->inputs.size()) {
        const NodePtr& in = node->inputs[next++];
        if (in && in->requires_grad && !visited[in.get()]) {
          visited[in.get()] = true;
          stack.emplace_back(in, 0);
        }
        continue;
      }
      NodeInfo<T>& ni = info[node.get()];
      for (const NodePtr& in : node->inputs) {
        if (!in || !in->requires_grad) continue;
        const NodeInfo<T>& ii = info[in.get()];
        ni.behind_input = ni.behind_input || ii.leads_to_input;
      }
      ni.leads_to_input = ni.input_slot >= 0 || ni.behind_input;
      post_order.push_back(std::move(node));
      stack.pop_back();
    }
  }

  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Var<T>& g = grad_outputs[i];
    if (!g.defined()) throw ValueError("backward: the output gradient is undefined");
    if (!(g.shape() == outputs[i].shape())) {
      throw ShapeError(detail::cat("backward: gradient of shape ", g.shape(), " for an output of shape ", outputs[i].shape()));
    }
    NodeInfo<T>& ni = info[outputs[i].node()];
    ni.grad = ni.grad.defined() ? add_grads(ni.grad, g) : g;
  }

  // 2. Reverse post-order: every node is complete before the nodes it came from.
  GradModeGuard mode(options.create_graph);
  std::vector<Var<T>> results(inputs.size());
  std::vector<bool> needs;
  for (auto it = post_order.rbegin(); it != post_order.rend(); ++it) {
    Node<T>* node = it->get();
    NodeInfo<T>& ni = info[node];
    Var<T> grad = std::move(ni.grad);
    if (!grad.defined()) continue;  // no gradient reached this node
    if (ni.input_slot >= 0) results[static_cast<std::size_t>(ni.input_slot)] = grad;
    if (!node->backward) {
      if (node->released) {  // an earlier backward went through here without retain_graph
        throw Error(detail::cat("backward: the graph through '", node->name, "' was freed by an earlier backward(); "
                                "pass {.retain_graph = true} to the first call to go through it twice"));
      }
      if (accumulate) node->grad = node->grad.defined() ? add_grads(node->grad, grad) : clone_grad(grad);
      continue;
    }
    if (!accumulate && !ni.behind_input) continue;  // nothing requested lies behind this node

    needs.assign(node->inputs.size(), false);
    for (std::size_t i = 0; i < node->inputs.size(); ++i) {
      const NodePtr& in = node->inputs[i];
      needs[i] = in && in->requires_grad && (accumulate || info[in.get()].leads_to_input);
    }
    Var<T> output(*it);
    GradList<T> grads = node->backward(BackwardContext<T>{grad, output, needs});
    if (grads.size() != node->inputs.size()) {
      throw Error(detail::cat("backward of '", node->name, "' returned ", grads.size(), " gradients for ",
                              node->inputs.size(), " inputs"));
    }
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (!needs[i] || !grads[i].defined()) continue;
      Node<T>* in = node->inputs[i].get();
      if (!(grads[i].shape() == in->value.shape())) {
        throw ShapeError(detail::cat("backward of '", node->name, "': gradient ", grads[i].shape(),
                                     " for input ", i, " of shape ", in->value.shape()));
      }
      Var<T>& acc = info[in].grad;
      acc = acc.defined() ? add_grads(acc, grads[i]) : std::move(grads[i]);
    }
    if (!options.retain_graph) {  // free what the closure saved and the edges behind this node
      node->backward = nullptr;
      node->inputs.clear();
      node->released = true;
    }
  }

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    // A Var passed twice as an input has one slot (its last); every copy gets that gradient.
    results[i] = results[static_cast<std::size_t>(info[inputs[i].node()].input_slot)];
    if (!results[i].defined() && !allow_unused) {
      throw Error(detail::cat("grad: input ", i, " of shape ", inputs[i].shape(),
                              " was not used to compute the outputs (pass allow_unused = true to get an undefined Var)"));
    }
  }
  return results;
}

}  // namespace detail

template <class T>
void Var<T>::backward(const BackwardOptions& options) const {
  if (numel() != 1) {
    throw ShapeError(detail::cat("backward: implicit gradient needs a one-element output, got ", shape(),
                                 "; pass the output gradient explicitly"));
  }
  backward(Var<T>(ones<T>(shape())), options);
}

template <class T>
void Var<T>::backward(const Var<T>& grad_output, const BackwardOptions& options) const {
  detail::run_backward<T>({*this}, {grad_output}, {}, options, true);
}

}  // namespace duel
