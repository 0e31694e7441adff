// Shared steps of start, delete and failed creates.
#pragma once

#include <chrono>
#include <string_view>

#include "core/base/error.h"
#include "core/base/runtime.h"

namespace ringc {

// Removes the container's cgroup from every hierarchy. EBUSY (tasks still
// exiting) is retried on ring timers with backoff, killing stragglers.
Result<void> destroy_cgroup(Runtime& rt, std::string_view path);

// Lets a created container's init exec the user's program: one byte into
// its exec fifo, written through the ring.
Result<void> release_init(Runtime& rt, std::string_view id);

// Freezes (true) or thaws the cgroup and returns once the kernel reports
// it: a poll for POLLPRI on cgroup.events through the ring (v2 and hybrid),
// or, on a v1-only host whose freezer.state has no notification, re-reads
// on ring timers. Errc::timed_out after `deadline`.
Result<void> set_frozen(Runtime& rt, std::string_view cgroup_path, bool frozen,
                        std::chrono::milliseconds deadline);

// SIGKILL to everything in the container and to its init, then waits on the
// ring (pidfd) until the init is gone. A frozen cgroup is thawed so that
// the kill can land.
Result<void> kill_and_wait(Runtime& rt, int pidfd, std::string_view cgroup_path, bool child);

}  // namespace ringc
