// Checking an nn module against its case of the `modules` fixture family: PyTorch built the same
// module with its default init, ran one forward/backward in training mode and stored everything.
#pragma once

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "duel/nn.hpp"
#include "fixtures.hpp"

namespace duel::fixtures {

// The case of the given module type ("Linear", "BatchNorm2d", ...).
inline Case module_case(const std::string& type) {
  for (const Case& c : cases("modules")) {
    if (c.str("type") == type) return c;
  }
  throw ValueError("no modules fixture case of type " + type);
}

// print(module) as the fixture stores it: lines stripped and joined by spaces, without the
// "# N parameters" notes that Duel adds.
inline std::string one_line_repr(const nn::Module& m) {
  std::istringstream lines(m.repr());
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find("  # "));
    line.erase(0, line.find_first_not_of(' '));
    out += (out.empty() ? "" : " ") + line;
  }
  return out;
}

// The case's tensors named <prefix><name> as a StateDict of float tensors named <name>.
inline StateDict state_with_prefix(const Case& c, const std::string& prefix) {
  StateDict out;
  for (const std::string& role : c.roles_with_prefix(prefix)) out.insert(role.substr(prefix.size()), c.ref(role).to<float>());
  return out;
}

template <class Named>
std::vector<std::string> sorted_names(const Named& entries) {
  std::vector<std::string> out;
  for (const auto& entry : entries) out.push_back(entry.first);
  std::sort(out.begin(), out.end());
  return out;
}

// Loads the case's PyTorch state into m (strictly, under PyTorch's names), runs forward (which
// returns m's output for the case's x), backpropagates grad_out and compares the repr, out,
// grad_x (when x is given), every parameter's gradient and every buffer afterwards.
template <class Forward>
void check_module_case(const Case& c, nn::Module& m, Forward forward, const Var<float>& x = {}) {
  CHECK(one_line_repr(m) == c.str("module"));
  const StateDict state = state_with_prefix(c, "param.");
  CHECK(sorted_names(m.state_dict()) == sorted_names(state));
  m.load_state_dict(state);
  CHECK(sorted_names(m.named_parameters()) == sorted_names(state_with_prefix(c, "grad.")));

  Var<float> out = forward();
  check_close(c.label<float>("out"), out, c.ref("out"), rtol<float>());
  out.backward(Var<float>(c.tensor<float>("grad_out")));
  if (x.defined()) check_close(c.label<float>("grad_x"), x.grad(), c.ref("grad_x"), rtol<float>());
  for (const auto& [name, p] : m.named_parameters()) {
    check_close(c.label<float>("grad." + name), p.grad(), c.ref("grad." + name), rtol<float>());
  }
  for (const auto& [name, b] : m.named_buffers()) {
    check_close(c.label<float>("buffer_after." + name), b, c.ref("buffer_after." + name), rtol<float>());
  }
}

// The same for a module with one float input.
inline void check_module_case(const Case& c, nn::Module& m) {
  const Var<float> x = c.var<float>("x");
  check_module_case(c, m, [&] { return m.forward(x); }, x);
}

}  // namespace duel::fixtures
