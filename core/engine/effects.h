// What the engine does to the world outside its ring: clone an init into
// its cgroup (or an exec's setup process), signal, freeze, write limits and records. The one seam a
// test replaces (tests/unit/fake_effects.h records each call and answers
// as told) to drive the engine without root, containers or cgroups; the
// ring's own operations (exit waits, handshake reads, unlinks, timers)
// stay real, or are made up with EngineProbe.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "cgroup/layout.h"
#include "cgroup/resources.h"
#include "core/base/error.h"
#include "core/init/exec_child.h"
#include "core/spawn/launch.h"
#include "core/store/record.h"
#include "core/store/store.h"

namespace ringc {

class Effects {
 public:
  virtual ~Effects() = default;
  // Makes the container's cgroup and clones its init into it
  // (begin_launch): `out` says what exists, also on failure.
  virtual Result<void> launch(const cgroup::Host& host, const Prepared& p, const std::string& cg,
                              const std::string& fifo, const InitOptions& init, Launch& out,
                              const LaunchOptions& lo) = 0;
  // The setup process of an exec (clone_exec): our child, with a pidfd and
  // the socket it reports on.
  virtual Result<Spawned> clone_exec(const ExecPlan& plan) = 0;
  // The next v2 directory through the ring (IORING_OP_MKDIRAT) where its
  // parent is known to exist; false: launch() makes it.
  virtual bool mkdir_on_ring() const = 0;
  // A signal to the init: by pidfd where there is one, else by pid (our
  // unreaped child, or one whose start time was checked).
  virtual void signal(pid_t pid, int pidfd, int sig) = 0;
  // A parked init's SCHED_IDLE ended (SCHED_OTHER, nice 0) before its
  // start: it needs CAP_SYS_NICE, which the init has dropped by then.
  virtual void end_idle(pid_t pid) = 0;
  // Whether end_idle can: without it a pool's inits are not parked idle.
  virtual bool may_end_idle() const = 0;
  // To every process in the container's cgroup.
  virtual void signal_cgroup(const cgroup::Host& host, const std::string& cg, int sig) = 0;
  virtual cgroup::Result<void> request_freeze(const cgroup::Host& host, const std::string& cg,
                                              bool frozen) = 0;
  virtual cgroup::Result<bool> is_frozen(const cgroup::Host& host, const std::string& cg) = 0;
  // New limits (update); the error names the file.
  virtual Result<void> apply(const cgroup::Host& host, const std::string& cg,
                             const cgroup::Resources& r) = 0;
  // The record, written in this thread; with records_on_ring() the engine
  // writes it through the ring instead where the ring can.
  virtual Result<void> write_record(const Store& store, std::string_view id, const RecordFields& f,
                                    bool sync) = 0;
  virtual bool records_on_ring() const = 0;
  // The claim's record and directory entry synced (Store::sync_claim), in
  // this thread; with records_on_ring() through the ring where it can.
  virtual Result<void> sync_claim(const Store& store, std::string_view id) = 0;
};

// The kernel's: what the engine does when nobody replaces it.
Effects& real_effects();

}  // namespace ringc
