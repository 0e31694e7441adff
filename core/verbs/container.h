// Container operations behind the runc command set. create, run -d,
// start, kill, pause, resume, update and delete are requests to an engine
// of one slot (core/verbs/on_engine.h), the table's one interpreter; a
// foreground run and exec still read the record, ask the table and act
// here (issue 20 moves them).
#pragma once

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/resources.h"
#include "core/base/error.h"
#include "core/engine/runtime.h"
#include "core/engine/transition.h"
#include "fsm/lifecycle.h"

namespace ringc {

struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;  // where the pty master goes (process.terminal)
  std::string pidfd_socket;    // where the init's pidfd goes
  unsigned preserve_fds = 0;   // fds 3.. after LISTEN_FDS's, passed through
  bool no_pivot = false;
  bool no_new_keyring = false;
  bool keep = false;  // run: leave the stopped container for `delete` (runc's --keep)
};

Result<void> create(Runtime& rt, const CreateOptions& o);
Result<void> start(Runtime& rt, std::string_view id);
// create + start; with detach=false waits, forwarding signals, deletes the
// container (unless o.keep) and returns its exit code.
Result<int> run(Runtime& rt, const CreateOptions& o, bool detach);
Result<void> kill(Runtime& rt, std::string_view id, int sig, bool all);
Result<void> remove(Runtime& rt, std::string_view id, bool force);
Result<std::string> state(Runtime& rt, std::string_view id, bool pretty = true);
// Freeze / thaw every process of a running / paused container; they return
// once the kernel reports the cgroup frozen / thawed.
Result<void> pause(Runtime& rt, std::string_view id);
Result<void> resume(Runtime& rt, std::string_view id);
// New limits for a created, running or paused container. Device rules are
// not changed by an update (as runc).
Result<void> update(Runtime& rt, std::string_view id, cgroup::Resources resources);
// Host pids of every process in the container's cgroup.
Result<std::vector<pid_t>> processes(Runtime& rt, std::string_view id);

struct ListEntry {
  std::string id, bundle, created, owner, json;
  int pid;
  std::optional<fsm::State> status;  // none: the record is damaged
  std::string error;                 // why it could not be read
};
std::vector<ListEntry> list(Runtime& rt);

// The record of a container (id validated first); Errc::not_found if none.
Result<LoadedRecord> load_record(Runtime& rt, std::string_view id);

// Writes pid into path (nothing when path is empty), atomically: a
// temporary file renamed over it.
Result<void> write_pid_file(const std::string& path, pid_t pid);
// systemd socket activation: how many fds from 3 (LISTEN_FDS) were meant
// for this process (LISTEN_PID); runc passes them to the container first.
unsigned listen_fds();
// Signals a foreground command forwards to its process (runc forwards
// all it can catch; SIGCHLD is ringc's).
sigset_t forwarded_signals();

// Signal by name ("TERM", "SIGKILL") or number; -1 when unknown.
int parse_signal(std::string_view s);

}  // namespace ringc
