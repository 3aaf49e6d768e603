// Sequential: modules applied one after the other (torch.nn.Sequential). Children are named
// "0", "1", ... so parameters get PyTorch's names ("3.weight"), and it prints like print(model):
//
//   nn::Sequential net(nn::Linear(100, 256), nn::LeakyReLU(0.2), nn::Linear(256, 784), nn::Tanh());
//   std::cout << net;          // Sequential( (0): Linear(in_features=100, ...) ... )
//   auto fc = net.at<nn::Linear>(0);
#pragma once

#include <memory>
#include <type_traits>

#include "duel/nn/module.hpp"

namespace duel::nn {

template <class M>
struct is_module_ptr : std::false_type {};
template <class M>
struct is_module_ptr<std::shared_ptr<M>> : std::is_base_of<Module, M> {};

// A module given by value (moved in) or as a shared pointer (shared with the caller).
template <class M>
concept ModuleArg = (std::is_base_of_v<Module, std::remove_cvref_t<M>> && !std::is_lvalue_reference_v<M>) ||
                    is_module_ptr<std::remove_cvref_t<M>>::value;

class Sequential : public Module {
 public:
  Sequential() = default;

  template <ModuleArg... Ms>
  explicit Sequential(Ms&&... modules) {
    (push_back(std::forward<Ms>(modules)), ...);
  }

  template <ModuleArg M>
  void push_back(M&& module) {
    std::shared_ptr<Module> m;
    if constexpr (is_module_ptr<std::remove_cvref_t<M>>::value) m = module;
    else m = std::make_shared<std::remove_cvref_t<M>>(std::forward<M>(module));
    register_module(std::to_string(layers_.size()), m);
    layers_.push_back(std::move(m));
  }

  std::size_t size() const { return layers_.size(); }

  const std::shared_ptr<Module>& operator[](std::size_t i) const {
    if (i >= layers_.size()) throw ValueError(detail::cat("Sequential: index ", i, " is out of range for ", layers_.size(), " modules"));
    return layers_[i];
  }

  // The i-th module as its own type; throws if it is another type.
  template <class M>
  std::shared_ptr<M> at(std::size_t i) const {
    auto m = std::dynamic_pointer_cast<M>((*this)[i]);
    if (!m) throw ValueError(detail::cat("Sequential: module ", i, " is a ", (*this)[i]->name()));
    return m;
  }

  std::string name() const override { return "Sequential"; }

  Var<float> forward(const Var<float>& x) override {
    Var<float> y = x;
    for (const auto& layer : layers_) y = layer->forward(y);
    return y;
  }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace duel::nn
