// What every container operation needs: the state store, the ring (made on
// first use), the cgroup host. One per process.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "cgroup/layout.h"
#include "core/base/error.h"
#include "core/base/timeline.h"
#include "core/store/store.h"
#include "ring/ring.h"

namespace ringc {

class Runtime {
 public:
  explicit Runtime(std::string root) : store_(std::move(root)) {}

  const Store& store() const { return store_; }
  Result<ring::Ring*> ring();
  // The ring's features once it is made (which backend runs it), else null.
  const ring::Features* ring_features() const { return ring_ready_ ? &ring_.features() : nullptr; }
  Result<const cgroup::Host*> cgroups();

  // Submission entries of the ring when it is made (the engine wants more).
  unsigned ring_entries = 64;
  // Deadlines for waits that must not hang forever.
  std::chrono::milliseconds init_timeout{60'000};
  std::chrono::milliseconds kill_timeout{10'000};
  // Phases of the operation in progress (printed by --debug).
  Timeline timeline;
  // Where a warning goes (a poststop hook that failed): the CLI's log.
  std::function<void(std::string_view)> warn = [](std::string_view) {};

 private:
  Store store_;
  ring::Ring ring_;
  bool ring_ready_ = false;
};

}  // namespace ringc
