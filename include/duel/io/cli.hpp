// Command lines for the examples: flags with defaults, --help, and one-line errors.
//
//   io::ArgParser args("dcgan_mnist", "Trains a DCGAN on MNIST digits.");
//   args.option("--epochs", epochs, "N", "passes over the training set", 1);   // 1: the least value allowed
//   args.option("--out", out_dir, "DIR", "where pictures and checkpoints go");
//   args.flag("--interpolate", interpolate, "also write a latent interpolation strip");
//   return io::run_main(args, argc, argv, [&] { ...; return 0; });
//
// run_main prints usage for --help, and turns a bad flag or any duel::Error into one line
// "dcgan_mnist: error: ..." on stderr and a non-zero exit status.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "duel/tensor/error.hpp"

namespace duel::io {

// A command line the program cannot use; run_main reports it with exit status 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

class ArgParser {
 public:
  ArgParser(std::string program, std::string description) : program_(std::move(program)), description_(std::move(description)) {}

  // An option taking a value; the variable's current value is the default shown in --help,
  // unless the help text states its own "(default: ...)".
  // Numbers may carry a least allowed value.
  template <class T>
  ArgParser& option(std::string name, T& target, std::string metavar, std::string help, std::optional<double> min = {}) {
    std::string shown = help.find("(default:") == std::string::npos ? default_text(target) : "";
    add({std::move(name), std::move(metavar), std::move(help), shown, [&target, min](const std::string& flag, const std::string& v) {
      parse_value(flag, v, target);
      if constexpr (std::is_arithmetic_v<T>) {
        if (min && static_cast<double>(target) < *min) throw UsageError(duel::detail::cat(flag, " must be at least ", *min, ", got ", v));
      } else {
        (void)min;  // no least value for text
      }
    }});
    return *this;
  }

  // A switch without a value.
  ArgParser& flag(std::string name, bool& target, std::string help) {
    add({std::move(name), "", std::move(help), "", [&target](const std::string&, const std::string&) { target = true; }});
    return *this;
  }

  // Parses argv; returns false when --help was printed.
  bool parse(int argc, const char* const* argv) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i], value;
      if (arg == "--help" || arg == "-h") {
        std::cout << usage();
        return false;
      }
      const auto eq = arg.find('=');  // --flag=value, or --flag value
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
      }
      const Option* opt = find(arg);
      if (!opt) throw UsageError(duel::detail::cat("unknown option '", arg, "' (see --help)"));
      if (opt->metavar.empty() && eq != std::string::npos) throw UsageError(duel::detail::cat(arg, " takes no value"));
      if (!opt->metavar.empty() && eq == std::string::npos) {
        if (i + 1 >= argc) throw UsageError(duel::detail::cat(arg, " needs a value (", opt->metavar, ")"));
        value = argv[++i];
      }
      opt->set(arg, value);
    }
    return true;
  }

  std::string usage() const {
    std::string s = duel::detail::cat("usage: ", program_, " [options]\n\n", description_, "\n\noptions:\n");
    for (const Option& o : options_) {
      std::string left = "  " + o.name + (o.metavar.empty() ? "" : " " + o.metavar);
      left.resize(std::max<std::size_t>(left.size() + 2, 26), ' ');
      s += left + o.help + (o.shown.empty() ? "" : " (default: " + o.shown + ")") + "\n";
    }
    return s + "  --help                  show this message\n";
  }

  const std::string& program() const { return program_; }

 private:
  struct Option {
    std::string name, metavar, help, shown;
    std::function<void(const std::string&, const std::string&)> set;
  };

  void add(Option o) {
    if (find(o.name)) throw ValueError("ArgParser: option " + o.name + " defined twice");
    options_.push_back(std::move(o));
  }

  const Option* find(const std::string& name) const {
    for (const Option& o : options_) {
      if (o.name == name) return &o;
    }
    return nullptr;
  }

  template <class T>
  static std::string default_text(const T& v) {
    if constexpr (std::is_same_v<T, std::filesystem::path>) return v.string();
    else if constexpr (std::is_same_v<T, std::string>) return v;
    else return duel::detail::cat(v);
  }

  template <class T>
  static void parse_value(const std::string& flag, const std::string& text, T& target) {
    if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::filesystem::path>) {
      target = T(text);
    } else {
      T v{};
      const char* end = text.data() + text.size();
      auto [ptr, ec] = std::from_chars(text.data(), end, v);
      if (ec != std::errc() || ptr != end) {
        throw UsageError(duel::detail::cat(flag, " expects ", std::is_integral_v<T> ? "a whole number" : "a number", ", got '", text, "'"));
      }
      target = v;
    }
  }

  std::string program_, description_;
  std::vector<Option> options_;
};

// Parses the command line and runs body, reporting failures on one line:
// exit 0 after --help, 2 for a bad command line, 1 for any other error.
inline int run_main(ArgParser& args, int argc, const char* const* argv, const std::function<int()>& body) {
  try {
    if (!args.parse(argc, argv)) return 0;
    return body();
  } catch (const UsageError& e) {
    std::cerr << args.program() << ": error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << args.program() << ": error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace duel::io
