// What the two benchmark programs share: the models under test, a small command line, timing
// statistics, peak memory, one-line JSON, and the walk that finds every layer of a network with
// the shapes it sees in training and the multiply-adds (MACs) it costs.
//
// MACs are counted exactly as the PyTorch twin (pytorch/twin.py) counts them, so that GFLOP/s
// figures of the two sides can be compared: only Linear, Conv2d and ConvTranspose2d cost anything,
// and a layer's forward pass costs
//   Linear           batch * in * out
//   Conv2d           (output elements) * in_channels * kh * kw
//   ConvTranspose2d  (input elements) * out_channels * kh * kw
// Its input gradient (dX) and its weight gradient (dW) each cost the same again.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "duel/gan/models.hpp"
#include "duel/gan/trainer.hpp"
#include "duel/optim.hpp"
#include "duel/io/json.hpp"

namespace bench {

using duel::index_t;
using duel::Shape;
using duel::Tensor;
using duel::Var;
namespace nn = duel::nn;

inline constexpr index_t batch = 64;  // the twin's batch size

// The benchmark's model names, beside the names Duel's make_models knows them by.
inline const std::map<std::string, std::string>& model_names() {
  static const std::map<std::string, std::string> names{{"mlp", "mlp_gan"}, {"dcgan28", "dcgan_mnist"}, {"dcgan64", "dcgan64"}};
  return names;
}

// ---- the command line: "--name value" or "--name=value"; a name may be given several times.
class Flags {
 public:
  Flags(int argc, char** argv, std::string usage, const std::vector<std::string>& known)
      : program_(argv[0]), usage_(std::move(usage)) {
    for (int i = 1; i < argc; ++i) {
      std::string name = argv[i], value;
      if (name == "--help" || name == "-h") {
        std::cout << usage_;
        std::exit(0);
      }
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        fail(name + " needs a value");
      }
      if (std::find(known.begin(), known.end(), name) == known.end()) fail("unknown option " + name);
      values_[name].push_back(value);
    }
  }

  std::vector<std::string> all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
  }

  // The last value given for name, or fallback; at least least.
  int integer(const std::string& name, int fallback, int least) const {
    const auto given = all(name);
    if (given.empty()) return fallback;
    const std::string& text = given.back();
    int v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < least) {
      fail(name + " expects a whole number >= " + std::to_string(least) + ", got '" + text + "'");
    }
    return v;
  }

  // The --model values, with "all" expanded, each checked against model_names().
  std::vector<std::string> models(const std::vector<std::string>& fallback) const {
    std::vector<std::string> out;
    for (const std::string& m : all("--model").empty() ? fallback : all("--model")) {
      if (m == "all") {
        out.insert(out.end(), {"mlp", "dcgan28", "dcgan64"});
      } else if (model_names().contains(m)) {
        out.push_back(m);
      } else {
        fail("unknown model '" + m + "' (expected mlp, dcgan28, dcgan64 or all)");
      }
    }
    return out;
  }

  [[noreturn]] void fail(const std::string& message) const {
    std::cerr << program_ << ": " << message << "\n\n" << usage_;
    std::exit(2);
  }

 private:
  std::string program_, usage_;
  std::map<std::string, std::vector<std::string>> values_;
};

// The threads in use, for Duel's loops and Eigen's products alike.
inline void use_threads(int threads) {
  duel::set_num_threads(threads);
  std::printf("threads: %d (OpenMP %s), Eigen SIMD: %s\n", duel::get_num_threads(),
#ifdef _OPENMP
              "on",
#else
              "off",
#endif
              Eigen::SimdInstructionSetsInUse());
}

// What both programs take: --model (repeatable, or all; dcgan28 by default), --threads,
// --warmup, and how many timed runs (count_flag: --iters or --reps).
struct Options {
  std::vector<std::string> models;
  int threads, warmup, count;
};

// A benchmark's main: parses the options, sets the threads and runs body(options), turning an
// exception into one line on stderr and exit status 1.
template <class Body>
int run_program(int argc, char** argv, const std::string& usage, const std::string& count_flag, const Body& body) {
  const Flags flags(argc, argv, usage, {"--model", "--threads", "--warmup", count_flag});
  const Options o{flags.models({"dcgan28"}), flags.integer("--threads", duel::get_num_threads(), 1),
                  flags.integer("--warmup", 5, 0), flags.integer(count_flag, count_flag == "--reps" ? 50 : 30, 1)};
  use_threads(o.threads);
  try {
    body(o);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
}

// ---- timing and memory
inline double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of the whole process (all threads). On a loaded machine it is steadier than the wall
// clock for one thread; with several it also counts the time OpenMP threads spend spinning.
inline double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Summary {
  double median = 0, min = 0, max = 0;
};

// The median as Python's statistics.median takes it: the mean of the middle two for an even count.
inline Summary summarize(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return {n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(), v.back()};
}

// The most memory this process has held so far (Linux reports ru_maxrss in KiB).
inline double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// ---- one JSON object on one line, built field by field
class JsonLine {
 public:
  JsonLine& field(const std::string& key, const std::string& text) { return raw(key, duel::io::json_quote(text)); }
  JsonLine& field(const std::string& key, const char* text) { return field(key, std::string(text)); }
  JsonLine& field(const std::string& key, double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return raw(key, buf);
  }
  JsonLine& field(const std::string& key, std::int64_t v) { return raw(key, std::to_string(v)); }
  JsonLine& field(const std::string& key, int v) { return raw(key, std::to_string(v)); }
  JsonLine& field(const std::string& key, const Shape& s) {
    return raw(key, s.str());  // Shape prints as [64,1,28,28], a JSON array already
  }
  JsonLine& raw(const std::string& key, const std::string& json) {
    body_ += (body_.empty() ? "" : ", ") + duel::io::json_quote(key) + ": " + json;
    return *this;
  }
  std::string str() const { return "{" + body_ + "}"; }
  // The line that compare.sh and other tools read, flushed at once in case a later run fails.
  void print_result() const {
    std::printf("RESULT %s\n", str().c_str());
    std::fflush(stdout);
  }

 private:
  std::string body_;
};

// ---- layers and their multiply-adds
struct Layer {
  std::string net;                       // "G" or "D"
  std::shared_ptr<nn::Module> module;    // the layer itself
  Shape in, out;                         // its input and output shapes in training
  std::int64_t macs = 0;                 // forward multiply-adds; 0 for layers without a product
  std::string describe() const { return module->name() + "(" + module->extra_repr() + ")"; }
};

inline std::int64_t forward_macs(const nn::Module& m, const Shape& in, const Shape& out) {
  if (auto* l = dynamic_cast<const nn::Linear*>(&m)) return in.numel() * l->weight.size(0);
  if (auto* c = dynamic_cast<const nn::Conv2d*>(&m)) {  // weight [out, in, kh, kw]
    const Shape& w = c->weight.shape();
    return out.numel() * w[1] * w[2] * w[3];
  }
  if (auto* t = dynamic_cast<const nn::ConvTranspose2d*>(&m)) {  // weight [in, out, kh, kw]
    const Shape& w = t->weight.shape();
    return in.numel() * w[1] * w[2] * w[3];
  }
  return 0;
}

// The layers of net that hold weights (Linear, Conv2d, ConvTranspose2d, BatchNorm), in the order
// they run on input, with the shapes they see. They are read off the graph that one forward pass
// records: the node of each such op holds its input and its output, and its weight (the op's
// second operand) tells which module ran it. So the trace follows what forward really does,
// reshapes between layers included. BatchNorm runs in training mode, as in training.
inline std::vector<Layer> trace_layers(const std::shared_ptr<nn::Module>& net, const Tensor<float>& input,
                                       const std::string& tag, Shape& output) {
  std::map<const duel::Node<float>*, std::shared_ptr<nn::Module>> owner;  // weight node -> module
  std::function<void(const std::shared_ptr<nn::Module>&)> index = [&](const std::shared_ptr<nn::Module>& m) {
    for (const auto& [n, p] : m->named_parameters(false)) {
      if (n == "weight") owner[p.node()] = m;
    }
    for (const auto& child : m->named_children()) index(child.second);
  };
  index(net);

  duel::GradModeGuard record(true);
  const Var<float> y = net->forward(Var<float>(input));
  output = y.shape();
  std::vector<Layer> layers;
  std::set<const duel::Node<float>*> seen;
  std::function<void(const std::shared_ptr<duel::Node<float>>&)> visit = [&](const std::shared_ptr<duel::Node<float>>& node) {
    if (!node || !seen.insert(node.get()).second) return;
    for (const auto& in : node->inputs) visit(in);  // post-order: a node after those it was made from
    if (node->inputs.size() < 2 || !node->inputs[0] || !node->inputs[1]) return;
    const auto it = owner.find(node->inputs[1].get());
    if (it == owner.end()) return;
    const Shape& in = node->inputs[0]->value.shape();
    layers.push_back({tag, it->second, in, node->value.shape(), forward_macs(*it->second, in, node->value.shape())});
  };
  visit(y.node_ptr());
  return layers;
}

// MACs of one training iteration: G runs forward once and backward once (dW everywhere, dX
// everywhere but its first product layer, since z needs no gradient). D runs forward three times
// (real, detached fake, fake for G's step); dX is needed at every layer in G's step but not at
// the first in the other two. d_weight_grads is how many of D's passes compute weight gradients:
// 3 in PyTorch, 2 in Duel, which freezes D's weights during G's step.
struct IterationMacs {
  std::int64_t g = 0, d = 0;
  std::int64_t total() const { return g + d; }
};

inline IterationMacs iteration_macs(const std::vector<Layer>& g, const std::vector<Layer>& d, int d_weight_grads) {
  IterationMacs out;
  int k = 0;  // position among the layers that cost MACs
  for (const Layer& l : g) {
    if (l.macs) out.g += (2 + (k++ > 0 ? 1 : 0)) * l.macs;
  }
  k = 0;
  for (const Layer& l : d) {
    if (l.macs) out.d += (3 + d_weight_grads + 1 + (k++ > 0 ? 2 : 0)) * l.macs;
  }
  return out;
}

// A model by its benchmark name, with a batch of latent vectors and one of images for tracing.
struct Subject {
  duel::gan::GanModels models;
  std::vector<Layer> g_layers, d_layers;
  std::string problem;  // set when the network is not the twin's, so that no one compares by mistake
};

inline Subject make_subject(const std::string& name, duel::Generator& rng) {
  Subject s{duel::gan::make_models({{"model", model_names().at(name)}}), {}, {}, {}};
  Shape images{batch};
  for (index_t d : s.models.discriminator->image_shape()) images.push_back(d);
  Tensor<float> real = Tensor<float>::empty(images);
  duel::uniform_(real, -1, 1, rng);
  Shape fakes, scores;
  s.g_layers = trace_layers(s.models.generator, s.models.generator->sample_latent(batch, rng), "G", fakes);
  s.d_layers = trace_layers(s.models.discriminator, real, "D", scores);
  // The twin's generators give images of the critic's shape and its critics one logit per image;
  // anything else is another network. (g++ 12 with AVX-512 has been seen to build dcgan64's last
  // Conv2d with padding 1: see README.md.)
  if (!(fakes == images) || !(scores == Shape{batch, 1})) {
    s.problem = duel::detail::cat("G gives ", fakes, " and D ", scores, " (expected ", images, " and [", batch,
                                  ",1]): this build's ", name, " is not the twin's network");
    std::fprintf(stderr, "WARNING: %s\n", s.problem.c_str());
  }
  return s;
}

}  // namespace bench
