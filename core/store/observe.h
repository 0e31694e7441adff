// What the kernel says about a recorded container, turned into FSM events.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

#include "core/store/record.h"
#include "fsm/lifecycle.h"

namespace ringc {

// What /proc/<pid>/stat says of a process, zombies included.
struct ProcStat {
  char state = '?';
  pid_t ppid = 0;
  uint64_t cpu_ticks = 0;   // user + system (fields 14 and 15)
  uint64_t start_time = 0;  // clock ticks since boot (field 22)
  int exit_status = 0;      // a zombie's, as waitpid gives it (field 52)
  bool exited() const { return state == 'Z' || state == 'X'; }
};
std::optional<ProcStat> read_proc_stat(pid_t pid);

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
// opening (so the fd can't point at a recycled pid); -1 when gone. What
// /proc said of it goes to `seen` where given.
int open_pidfd(const RecordView& r, ProcStat* seen = nullptr);

// The wait status (as waitpid gives it) of a process that has exited and
// is not our child: from its zombie (checked against its start time), or
// once reaped by whoever is its parent, from the pidfd held on it
// (PIDFD_INFO_EXIT, Linux 6.15). nullopt when neither can say.
std::optional<int> exit_status_of(pid_t pid, uint64_t start_time, int pidfd);

// A wait status as a shell reports it: the code, or 128 + the signal.
int exit_code_of_status(int status);

}  // namespace ringc
