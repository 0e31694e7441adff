// The child side of `exec`: a setup process that joins a container and
// clones the process into it, and that process's setup inside.
//
// The setup process makes itself non-dumpable, joins the container's v1
// cgroups (the freezer last) and, with one setns on the init's pidfd, all
// its namespaces; it then clones the process with CLONE_PARENT (so that
// the caller reaps it) into the container's pid namespace, reports its
// pid and exits. The process finishes its setup from inside and execs;
// its socket closes at exec (close-on-exec). At no point is a dumpable
// ringc visible inside the container (CVE-2019-5736).
#pragma once

#include <string>
#include <vector>

#include "cgroup/layout.h"
#include "core/base/error.h"
#include "core/init/plan.h"
#include "core/spec/spec.h"

namespace ringc {

struct ExecPlan {
  const Spec* spec = nullptr;  // the container's: namespaces, seccomp
  const Process* proc = nullptr;
  const cgroup::Host* host = nullptr;
  std::vector<std::string> cgroup_paths;  // one per host hierarchy
  int init_pidfd = -1;
  int console_fd = -1;  // a connected console socket (process.terminal), or -1
  // Fds 3.. reaching the process: with `passed` (a daemon client's fds,
  // its stdio first with passed_stdio) those, else the caller's own.
  unsigned preserve_fds = 0;
  std::vector<int> passed;
  bool passed_stdio = false;
};

// Clones the setup process into the v2 cgroup (the caller's child, with a
// pidfd). On its socket come MsgKind::pid, then either an error message
// (the process's setup failed, and it exits 127) or EOF at its exec.
Result<Spawned> clone_exec(const ExecPlan& plan);

}  // namespace ringc
