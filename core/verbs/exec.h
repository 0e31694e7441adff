// `exec`: another process in a created or running container, in every
// namespace of its init, its cgroups, its seccomp profile, capabilities
// and rlimits (runc exec).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/base/runtime.h"

namespace ringc {

struct ExecOptions {
  std::string id;
  std::string process_file;       // --process: a Process JSON; else the flags below
  std::vector<std::string> args;  // the command (with no --process)
  std::vector<std::string> env;   // -e KEY=VALUE, over the config's env
  std::string cwd;                // --cwd
  std::string user;               // -u uid[:gid]
  std::vector<gid_t> additional_gids;
  std::vector<std::string> caps;  // --cap: added to the config's sets
  bool no_new_privs = false;
  std::string apparmor;  // --apparmor
  bool tty = false;
  std::string console_socket;
  std::string pidfd_socket;
  bool detach = false;
  std::string pid_file;
  unsigned preserve_fds = 0;
  // --ignore-paused: into a paused container too; the process is frozen
  // with it and runs (and exec waits, without the setup deadline) once the
  // container is resumed.
  bool ignore_paused = false;
  // --cgroup: a sub-cgroup of the container's to run in, "path" for every
  // hierarchy or "controller:path" for v1's, repeatable (runc's form).
  std::vector<std::string> cgroups;
};

// Returns the process's exit code (128+N when killed by signal N), or 0
// once it runs with detach.
Result<int> exec(Runtime& rt, const ExecOptions& o);

}  // namespace ringc
