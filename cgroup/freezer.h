// Freezing a container's cgroup: the v1 freezer controller where one is
// mounted (hybrid and legacy hosts: what podman, containerd and cAdvisor
// read), else v2 cgroup.freeze. Requests only; waiting
// for the kernel to report the new state is the caller's (on the ring).
#pragma once

#include <optional>

#include <string_view>

#include "cgroup/layout.h"

namespace ringc::cgroup {

// Asks the kernel to freeze (true) or thaw the cgroup.
Result<void> request_freeze(const Host& host, std::string_view path, bool frozen);

// Whether the kernel reports the cgroup frozen now ("frozen 1" in
// cgroup.events; FROZEN in v1 freezer.state).
Result<bool> is_frozen(const Host& host, std::string_view path);

// A read-only fd on cgroup.events, already read once, so that a poll for
// POLLPRI completes on the next change; -1 when the freezer is v1's
// (freezer.state has no notification: the caller retries on a timer).
Result<int> open_events(const Host& host, std::string_view path);
// cgroup.events of the unified hierarchy, where there is one (v2 and
// hybrid hosts, whatever the freezer), for `populated`; -1 where not.
Result<int> open_unified_events(const Host& host, std::string_view path);
// What an open cgroup.events says of the processes in the cgroup and its
// descendants (read from the start, which also re-arms POLLPRI); nothing
// when it cannot be read.
std::optional<bool> is_populated(int events_fd);

}  // namespace ringc::cgroup
