// Steps of create and run: the release of the init, and the teardown of
// a failed create.
#pragma once

#include <chrono>
#include <string_view>

#include "core/base/error.h"
#include "core/base/runtime.h"

namespace ringc {

// Removes the container's cgroup from every hierarchy. EBUSY (tasks still
// exiting) is retried on ring timers with backoff, killing stragglers.
Result<void> destroy_cgroup(Runtime& rt, std::string_view path);

// SIGKILL to everything in the container and to its init, then waits on the
// ring (pidfd) until the init is gone. A frozen cgroup is thawed so that
// the kill can land.
Result<void> kill_and_wait(Runtime& rt, int pidfd, std::string_view cgroup_path, bool child);

}  // namespace ringc
