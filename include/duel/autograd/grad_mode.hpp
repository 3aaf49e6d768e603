// Grad mode: whether ops record the graph that backward() walks.
//
// Recording is on by default. NoGradGuard turns it off for a scope (evaluation, optimizer steps,
// sampling); backward() turns it off while it runs unless create_graph is asked for, so that
// ordinary training builds no graph for its gradients. The flag is per thread.
#pragma once

namespace duel {

class GradMode {
 public:
  static bool is_enabled() { return enabled(); }
  static void set_enabled(bool on) { enabled() = on; }

 private:
  static bool& enabled() {
    thread_local bool on = true;
    return on;
  }
};

// Sets grad mode for the lifetime of the guard and restores the previous mode afterwards.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : previous_(GradMode::is_enabled()) { GradMode::set_enabled(enabled); }
  ~GradModeGuard() { GradMode::set_enabled(previous_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool previous_;
};

// Turns recording off for a scope, as torch.no_grad().
class NoGradGuard : public GradModeGuard {
 public:
  NoGradGuard() : GradModeGuard(false) {}
};

}  // namespace duel
