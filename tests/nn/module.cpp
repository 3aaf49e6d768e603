#include "duel/nn/module.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <type_traits>

#include "duel/nn.hpp"

using duel::StateDict;
using duel::Tensor;
using duel::Var;
namespace nn = duel::nn;

namespace {

// A network with a parameter and a buffer of its own and a child that has children.
class Net : public nn::Module {
 public:
  Net() {
    scale = register_parameter("scale", duel::ones<float>({1}));
    steps = register_buffer("steps", duel::zeros<float>({2}));
    main = register_module("main", std::make_shared<nn::Sequential>(nn::Linear(4, 8), nn::BatchNorm1d(8), nn::LeakyReLU(0.2),
                                                                    nn::Linear(8, 2)));
  }
  std::string name() const override { return "Net"; }
  Var<float> forward(const Var<float>& x) override { return (*main)(x) * scale; }

  Var<float> scale;
  Tensor<float> steps;
  std::shared_ptr<nn::Sequential> main;
};

class NoForward : public nn::Module {
 public:
  std::string name() const override { return "NoForward"; }
};

std::vector<std::string> names_of(const auto& named) {
  std::vector<std::string> out;
  for (const auto& [n, v] : named) out.push_back(n);
  return out;
}

// Every value of the state, one after another, to see whether anything changed.
std::vector<float> flat_values(const StateDict& state) {
  std::vector<float> out;
  for (const auto& [n, t] : state) out.insert(out.end(), t.begin(), t.end());
  return out;
}

}  // namespace

static_assert(!std::is_copy_constructible_v<nn::Linear>, "a copied module would share its parameters silently");

TEST_CASE("Module: parameters and buffers by dotted name, own ones first, as PyTorch's named_parameters") {
  Net net;
  CHECK(names_of(net.named_parameters()) == std::vector<std::string>{"scale", "main.0.weight", "main.0.bias", "main.1.weight",
                                                                      "main.1.bias", "main.3.weight", "main.3.bias"});
  CHECK(names_of(net.named_parameters(false)) == std::vector<std::string>{"scale"});
  CHECK(names_of(net.named_buffers()) ==
        std::vector<std::string>{"steps", "main.1.running_mean", "main.1.running_var", "main.1.num_batches_tracked"});
  CHECK(names_of(net.named_children()) == std::vector<std::string>{"main"});
  CHECK(net.parameters().size() == 7);
  CHECK(net.num_parameters() == 1 + 40 + 16 + 18);
  CHECK(net.parameters()[1].value().data() == net.main->at<nn::Linear>(0)->weight.value().data());  // the same tensor
}

TEST_CASE("Module: train() and eval() reach every module below, zero_grad forgets every gradient") {
  Net net;
  auto all_modes = [&net] {
    std::vector<bool> modes;
    net.apply([&](nn::Module& m) { modes.push_back(m.is_training()); });
    return modes;
  };
  CHECK(all_modes() == std::vector<bool>(6, true));
  net.eval();
  CHECK(all_modes() == std::vector<bool>(6, false));
  net.train();
  CHECK(all_modes() == std::vector<bool>(6, true));

  duel::sum(net(Var<float>(duel::randn<float>({5, 4})))).backward();
  for (const Var<float>& p : net.parameters()) CHECK(p.grad().defined());
  net.zero_grad();
  for (const Var<float>& p : net.parameters()) CHECK(!p.grad().defined());
  CHECK_THROWS_WITH_AS(NoForward()(Var<float>(duel::zeros<float>({1}))), "NoForward has no single-input forward(x)", duel::Error);
}

TEST_CASE("Module: repr nests like print(model), with parameter counts") {
  Net net;
  const std::string expected =
      "Net(\n"
      "  (main): Sequential(\n"
      "    (0): Linear(in_features=4, out_features=8, bias=True)  # 40 parameters\n"
      "    (1): BatchNorm1d(8, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)  # 16 parameters\n"
      "    (2): LeakyReLU(negative_slope=0.2)\n"
      "    (3): Linear(in_features=8, out_features=2, bias=True)  # 18 parameters\n"
      "  )  # 74 parameters\n"
      ")";
  CHECK(net.repr() == expected);
  std::ostringstream printed;
  printed << net;
  CHECK(printed.str() == expected + "\n# total: 75 parameters");
  CHECK(NoForward().repr() == "NoForward()");
}

TEST_CASE("Module: state_dict copies the values; load_state_dict copies them back in place") {
  Net a, b;
  const StateDict saved = a.state_dict();
  CHECK(names_of(saved) == std::vector<std::string>{"scale", "main.0.weight", "main.0.bias", "main.1.weight", "main.1.bias",
                                                     "main.3.weight", "main.3.bias", "steps", "main.1.running_mean",
                                                     "main.1.running_var", "main.1.num_batches_tracked"});
  a.scale.value().fill_(3);
  CHECK(saved.at("scale").item() == 1);  // a copy, not a view
  const float* storage = b.main->at<nn::Linear>(0)->weight.value().data();
  b.load_state_dict(saved);
  CHECK(flat_values(b.state_dict()) == flat_values(saved));
  CHECK(b.main->at<nn::Linear>(0)->weight.value().data() == storage);  // the optimizer's handles stay valid
}

TEST_CASE("Module: a strict load lists every missing, unexpected and mis-shaped entry, and changes nothing") {
  Net net;
  const StateDict before = net.state_dict();
  StateDict bad;
  for (const auto& [n, t] : before) {
    if (n == "main.0.bias" || n == "main.1.running_var") continue;
    bad.insert(n, n == "scale" ? duel::zeros<float>({2}) : duel::zeros<float>(t.shape()));
  }
  bad.insert("main.9.weight", duel::zeros<float>({1}));
  CHECK_THROWS_WITH_AS(net.load_state_dict(bad),
                       "load_state_dict: state does not fit Net\n"
                       "  missing (2):\n    main.0.bias\n    main.1.running_var\n"
                       "  unexpected (1):\n    main.9.weight\n"
                       "  wrong shape (1):\n    scale: expected [1], found [2]",
                       duel::ValueError);
  CHECK(flat_values(net.state_dict()) == flat_values(before));

  // Not strict: missing and unexpected entries are let go, a wrong shape is still an error.
  CHECK_THROWS_AS(net.load_state_dict(bad, false), duel::ValueError);
  StateDict partial;
  partial.insert("main.3.bias", duel::full<float>({2}, 7));
  partial.insert("extra", duel::zeros<float>({3}));
  net.load_state_dict(partial, false);
  CHECK(net.main->at<nn::Linear>(3)->bias.value().data()[1] == 7);
  CHECK(net.scale.item() == 1);
}
