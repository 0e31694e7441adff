// `events`: runc's stats JSON once, or a stream of stats (every interval)
// and OOM kills (as the kernel reports them) until the container stops.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "cgroup/stats.h"
#include "core/base/error.h"
#include "core/engine/runtime.h"

namespace ringc {

// {"type":"stats","id":"web","data":{"cpu":…,"memory":…,"pids":…,"blkio":…,"hugetlb":{}}}
std::string stats_event_json(std::string_view id, const cgroup::Stats& s);
Result<std::string> stats_event(Runtime& rt, std::string_view id);

// Emits one JSON line per event through emit; returns when the container's
// init has exited. Every wait is a ring completion: the interval timer, the
// OOM notification, the pidfd.
Result<void> stream_events(Runtime& rt, std::string_view id, std::chrono::milliseconds interval,
                           const std::function<void(const std::string&)>& emit);

}  // namespace ringc
