// duel::grad: gradients of outputs with respect to chosen inputs, returned rather than stored.
//
// With create_graph the returned gradients carry a graph of their own, so they can be used in a
// loss and differentiated again. This is how gradient penalties are written:
//
//     auto g = duel::grad({duel::sum(D(x))}, {x}, {}, {.create_graph = true})[0];
//     auto penalty = duel::mean(duel::sum(g * g, {1, 2, 3}));   // R1: E ||grad_x D(x)||^2
//     penalty.backward();                                       // second derivatives flow into D
#pragma once

#include <optional>

#include "duel/autograd/engine.hpp"

namespace duel {

struct GradOptions {
  bool create_graph = false;          // record the backward pass, so the gradients are differentiable
  std::optional<bool> retain_graph = std::nullopt;  // keep the graph afterwards; defaults to create_graph
  bool allow_unused = false;          // an input the outputs do not depend on gets an undefined Var
};

// d(sum_i <grad_outputs[i], outputs[i]>)/d(inputs[j]) for every j. grad_outputs may be empty when
// every output holds one element (each is then seeded with 1).
template <class T>
std::vector<Var<T>> grad(const std::vector<Var<T>>& outputs, const std::vector<Var<T>>& inputs,
                         std::vector<Var<T>> grad_outputs = {}, const GradOptions& options = {}) {
  if (grad_outputs.empty()) {
    for (const Var<T>& out : outputs) {
      if (out.numel() != 1) {
        throw ShapeError(detail::cat("grad: output of shape ", out.shape(), " needs an explicit grad_output"));
      }
      grad_outputs.push_back(Var<T>(ones<T>(out.shape())));
    }
  }
  if (grad_outputs.size() != outputs.size()) {
    throw ValueError(detail::cat("grad: ", outputs.size(), " outputs but ", grad_outputs.size(), " grad_outputs"));
  }
  if (inputs.empty()) throw ValueError("grad: no inputs to differentiate with respect to");
  BackwardOptions run{options.retain_graph.value_or(options.create_graph), options.create_graph};
  return detail::run_backward(outputs, grad_outputs, inputs, run, options.allow_unused);
}

}  // namespace duel
