// gradcheck and gradgradcheck: is an op's backward right? Compare it with finite differences.
//
// gradcheck builds the Jacobian of f two ways, in double precision:
//   analytical: one backward pass per output element j gives row j, d y_j / d x;
//   numerical:  central differences, d y / d x_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps),
// and reports the worst element. gradgradcheck does the same for the gradient itself: it checks
// x, v -> grad(f(x), x, v, create_graph) with gradcheck, which exercises the backward of the
// backward (the second derivatives that gradient penalties rely on).
#pragma once

#include <cmath>
#include <functional>
#include <sstream>
#include <string>

#include "duel/autograd/grad.hpp"

namespace duel {

struct GradcheckOptions {
  double eps = 1e-6;   // finite-difference step
  double atol = 1e-5;  // an element passes when |analytical - numerical| <= atol + rtol |numerical|
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool passed = true;
  double worst_ratio = 0;  // max |analytical - numerical| / (atol + rtol |numerical|); <= 1 passes
  std::string report;      // where the worst element is and both values
  explicit operator bool() const { return passed; }
};

using GradcheckFn = std::function<Var<double>(const std::vector<Var<double>>&)>;

namespace detail {

using MultiOutputFn = std::function<std::vector<Var<double>>(const std::vector<Var<double>>&)>;

inline std::string flat_index_str(const Shape& s, index_t flat) {
  std::string out;
  for (int d = s.rank() - 1; d >= 0; --d) {
    out = std::to_string(flat % s[d]) + (out.empty() ? "" : ",") + out;
    flat /= s[d];
  }
  return "[" + out + "]";
}

// The values of all outputs, one after another.
inline std::vector<double> joined_values(const std::vector<Var<double>>& ys) {
  std::vector<double> v;
  for (const auto& y : ys) v.insert(v.end(), y.value().begin(), y.value().end());
  return v;
}

// gradcheck for a function with several outputs; their elements are numbered one after another.
inline GradcheckResult check_jacobian(const MultiOutputFn& f, const std::vector<Var<double>>& inputs,
                                      const GradcheckOptions& opt, const char* what) {
  std::vector<Var<double>> wrt;
  for (const auto& x : inputs) {
    if (x.requires_grad()) wrt.push_back(x);
  }
  if (wrt.empty()) throw ValueError(detail::cat(what, ": no input requires grad"));
  std::vector<Var<double>> ys = f(inputs);
  index_t m = 0;
  for (const auto& y : ys) m += y.numel();

  // analytical[k] is the Jacobian block d(outputs)/d(wrt[k]): m rows of wrt[k].numel() columns.
  std::vector<Tensor<double>> analytical;
  for (const auto& x : wrt) analytical.push_back(zeros<double>({m, x.numel()}));
  index_t row = 0;
  for (const auto& y : ys) {
    for (index_t j = 0; j < y.numel(); ++j, ++row) {
      if (!y.requires_grad()) continue;  // a constant output: its row is zero
      Tensor<double> seed = zeros<double>(y.shape());
      seed.data()[j] = 1;
      auto grads = grad<double>({y}, wrt, {Var<double>(seed)}, {.retain_graph = true, .allow_unused = true});
      for (std::size_t k = 0; k < wrt.size(); ++k) {
        if (grads[k].defined()) {
          std::copy(grads[k].value().begin(), grads[k].value().end(), analytical[k].data() + row * wrt[k].numel());
        }
      }
    }
  }

  GradcheckResult result;  // f runs with grad mode on: gradgradcheck's f itself calls grad()
  for (std::size_t k = 0; k < wrt.size(); ++k) {
    double* x = wrt[k].value().data();
    for (index_t i = 0; i < wrt[k].numel(); ++i) {
      const double saved = x[i];
      x[i] = saved + opt.eps;
      std::vector<double> plus = joined_values(f(inputs));
      x[i] = saved - opt.eps;
      std::vector<double> minus = joined_values(f(inputs));
      x[i] = saved;
      for (index_t j = 0; j < m; ++j) {
        const auto u = static_cast<std::size_t>(j);
        const double numerical = (plus[u] - minus[u]) / (2 * opt.eps);
        const double a = analytical[k].data()[j * wrt[k].numel() + i];
        const double ratio = std::abs(a - numerical) / (opt.atol + opt.rtol * std::abs(numerical));
        if (!(ratio <= result.worst_ratio)) {  // also catches NaN
          result.worst_ratio = std::isnan(ratio) ? INFINITY : ratio;
          std::ostringstream s;
          s.precision(10);
          s << "input " << k << " element " << flat_index_str(wrt[k].shape(), i) << ", output element " << j
            << ": analytical " << a << " vs numerical " << numerical;
          result.report = s.str();
        }
      }
    }
  }
  result.passed = result.worst_ratio <= 1;
  result.report = detail::cat(what, result.passed ? " passed" : " FAILED", " (worst error ", result.worst_ratio,
                              " x tolerance): ", result.report);
  return result;
}

}  // namespace detail

// Checks the gradient of f with respect to every input that requires grad.
inline GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Var<double>>& inputs, const GradcheckOptions& opt = {}) {
  return detail::check_jacobian([&f](const std::vector<Var<double>>& xs) { return std::vector<Var<double>>{f(xs)}; },
                                inputs, opt, "gradcheck");
}

// Checks the derivatives of the gradient: of (x, v) -> grad(f(x), x, v) for a random fixed v,
// with respect to both x and v.
inline GradcheckResult gradgradcheck(const GradcheckFn& f, const std::vector<Var<double>>& inputs,
                                     const GradcheckOptions& opt = {}, std::uint64_t seed = 0) {
  Generator gen(seed);
  std::vector<Var<double>> all = inputs;
  all.push_back(Var<double>(randn<double>(f(inputs).shape(), gen), true));
  auto first_derivatives = [&f, n = inputs.size()](const std::vector<Var<double>>& xs) {
    std::vector<Var<double>> x(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(n)), wrt;
    for (const auto& xi : x) {
      if (xi.requires_grad()) wrt.push_back(xi);
    }
    auto grads = grad<double>({f(x)}, wrt, {xs.back()}, {.create_graph = true, .allow_unused = true});
    for (std::size_t k = 0; k < wrt.size(); ++k) {
      if (!grads[k].defined()) grads[k] = Var<double>(zeros<double>(wrt[k].shape()));
    }
    return grads;
  };
  return detail::check_jacobian(first_derivatives, all, opt, "gradgradcheck");
}

}  // namespace duel
