// The steps of a create that the CLI and the engine share: reading the
// bundle, and bringing the init to life inside its cgroup. What happens
// after (waiting for the handshake) is the caller's: a blocking-free ring
// wait in the CLI, a completion in the engine.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "cgroup/layout.h"
#include "cgroup/manager.h"
#include "core/base/error.h"
#include "core/base/timeline.h"
#include "core/init/cgroups.h"
#include "core/spawn/spawn.h"
#include "core/spec/spec.h"
#include "core/store/record.h"

namespace ringc {

// A bundle read and checked: the spec, absolute paths, the cgroup path.
struct Prepared {
  Spec spec;
  std::string bundle, rootfs, cgroup_path;
};

// Validates the id, reads <bundle>/config.json, resolves the rootfs and
// the container's cgroup path.
Result<Prepared> prepare(std::string_view id, const std::string& bundle);

// Where a ringc that is not root puts a container: in its cgroup `cg`
// where its user may (a delegated subtree: cgroup::unwritable), else
// nowhere (an empty path) when the config asks for no cgroupsPath and no
// limits, as runc does; anything else is refused, naming the file it may
// not write. Root's containers keep `cg`.
Result<std::string> rootless_cgroup(const cgroup::Host& host, const Prepared& p, std::string cg);

// The record of a container whose init is `pid` (started at start_time,
// clock ticks after boot), in state s.
RecordFields record_fields(const Prepared& p, std::string_view id, std::string_view cg, pid_t pid,
                           uint64_t start_time, fsm::State s);
// The record a claim writes (kRecordIntent): this process making the
// container, its cgroup path, status creating.
RecordFields intent_fields(const Prepared& p, std::string_view id, std::string_view cg);

// What begin_launch got done, so that a failure can be undone exactly.
struct Launch {
  bool cgroup_made = false;
  bool deferred = false;  // the cgroup is ready, clone3 is the spawner's
  Spawned child;          // pid -1 until clone3 succeeded
};

// Makes the cgroup `cg` (the v2 part and its limits) and clones the init
// into it. The v1 part the init makes and joins on its own core (the
// caller is a reactor with other containers to launch). With an empty
// fifo the init waits for `start` on its handshake socket instead of the
// exec fifo (a create that another process starts). On failure `out` says what
// exists. Phases are marked on `tl` when given.
// A terminal container needs init.console_fd.
// The v2 limits are the init's to write, on its own core, before anything
// of the container runs (its root in a user namespace could not: there
// they are written here).
// v2_made: the caller has made the v2 directory already (the engine, through
// its ring).
// defer_spawn: stop once the cgroup exists (out.deferred); the engine's
// spawner clones the init. Ignored for a user namespace, whose maps the
// caller writes right after clone3.
struct LaunchOptions {
  Timeline* tl = nullptr;
  bool v2_made = false;
  bool v2_existed = false;  // with v2_made: the directory was there already
  bool defer_spawn = false;
  // The init cloned in the caller's address space where it can be (an
  // engine, which outlives its inits' exec: shared_clone.h).
  bool shared_clone = false;
  // Where a warning goes (a cgroup that already holds processes).
  const std::function<void(std::string_view)>* warn = nullptr;
};
Result<void> begin_launch(const cgroup::Host& host, const Prepared& p, const std::string& cg,
                          const std::string& fifo, const InitOptions& init, Launch& out,
                          const LaunchOptions& lo = {});

}  // namespace ringc
