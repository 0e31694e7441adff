#include "core/engine/runtime.h"

namespace ringc {

Result<ring::Ring*> Runtime::ring() {
  if (!ring_ready_) {
    if (auto r = ring_.init(ring_entries); !r) return Error{r.error(), "io_uring setup"};
    ring_ready_ = true;
  }
  return &ring_;
}

Result<const cgroup::Host*> Runtime::cgroups() {
  auto h = cgroup::detect();
  if (!h) return Error{h.error(), "detect cgroup layout"};
  return h.value();
}

}  // namespace ringc
