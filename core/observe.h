// What the kernel says about a recorded container, turned into FSM events.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "core/record.h"
#include "fsm/lifecycle.h"

namespace ringc {

// Start time of pid in clock ticks since boot (/proc/<pid>/stat field 22);
// nullopt when the process is gone or a zombie.
std::optional<uint64_t> process_start_time(pid_t pid);

// User plus system CPU time of pid in clock ticks (fields 14 and 15).
std::optional<uint64_t> process_cpu_ticks(pid_t pid);

// True when the recorded process still exists and is the same process
// (pid and start time match: a recycled pid is never taken for it).
bool is_alive(const RecordView& r);

// The state as it is now: a recorded live state whose process has exited
// becomes what the table says for `exited`.
fsm::State observed_state(const RecordView& r);

// pidfd on the recorded process, checked against its start time after
// opening (so the fd can't point at a recycled pid); -1 when gone.
int open_pidfd(const RecordView& r);

}  // namespace ringc
