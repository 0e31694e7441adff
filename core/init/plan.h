// What a container's init is given (its plan, made by its creator before
// clone3 so that the child allocates and resolves as little as possible),
// and the init itself: child_main, which runs in the child after clone3.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <string>
#include <vector>

#include "cgroup/layout.h"
#include "core/base/error.h"
#include "core/spec/spec.h"

namespace ringc {

// How this one init differs from what its spec says: what runc takes as
// create/run flags.
struct InitOptions {
  std::string id;             // names the session keyring, "_ses.<id>"
  int console_fd = -1;        // a connected --console-socket, or -1
  unsigned preserve_fds = 0;  // fds 3.. passed through (LISTEN_FDS and --preserve-fds)
  bool no_pivot = false;      // move the rootfs onto / and chroot instead of pivot_root
  bool no_new_keyring = false;
  std::vector<std::string> extra_env;  // LISTEN_FDS=, LISTEN_PID=1
  // A daemon client's fds: with passed_stdio its stdin, stdout and stderr
  // first, then those for fds 3.. (preserve_fds counts them).
  std::vector<int> passed;
  bool passed_stdio = false;
  // A warm network namespace (core/pool/netns_pool.h) the init joins
  // instead of making its own, or -1.
  int netns_fd = -1;
  // Parked (a pool's, engine_parked.cc): set up as SCHED_IDLE, so that a
  // refill never delays a run's start on the same cores. The engine puts
  // it back to SCHED_OTHER before its start byte (Effects::end_idle): the
  // init could not itself, with CAP_SYS_NICE dropped and RLIMIT_NICE 0
  // (sched(7)). The spec's process.scheduler, if any, is applied during
  // setup as ever and kept. Only set by an engine that may undo it.
  bool parked = false;
};

// Everything the child needs, prepared by the parent before clone3 so the
// child allocates and resolves as little as possible.
struct SpawnPlan {
  const Spec* spec = nullptr;
  std::string bundle;   // absolute
  std::string rootfs;   // absolute
  int fifo_fd = -1;     // the exec fifo, opened by the parent; -1: start comes on the socket
  bool userns = false;  // a user namespace of its own: clone3 makes it, the parent maps it
  // CLONE_PARENT: the init becomes a child of the caller's parent (the
  // engine's spawner clones inits for the engine).
  bool as_sibling = false;
  // In the caller's own address space where it can be (an engine's:
  // core/spawn/shared_clone.h); the caller outlives the init's exec.
  bool shared = false;
  int cgroup_v2_fd = -1;  // CLONE_INTO_CGROUP target, or -1
  // The child writes the spec's v2 limits into its cgroup first thing,
  // attaching device_prog (cgroup::preload_device_program's result).
  bool v2_limits = false;
  int device_prog = -ENODATA;
  const cgroup::Host* cgroups = nullptr;
  std::string cgroup_path;
  InitOptions init;
  // With a user namespace: each bind mount's source, cloned detached by
  // the parent (open_tree) before the clone, one per spec mount (-1 for
  // the others), so that a source only the host user can reach is still
  // bound (runc's mount fds).
  std::vector<int> bind_trees;
};

struct Spawned {
  pid_t pid = -1;
  int pidfd = -1;
  int sock = -1;   // parent's end of the handshake pair
  int donor = -1;  // a shared clone's donor, given back once the init exec'd or exited
};

// In the child: the whole setup, ending in the wait for start and execve.
// Returns only on failure, and the error goes on `sock` (which it may
// have moved).
Error child_main(const SpawnPlan& plan, int& sock);

}  // namespace ringc
