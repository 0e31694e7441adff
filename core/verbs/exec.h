// `exec`: another process in a created or running container, in every
// namespace of its init, its cgroups, its seccomp profile, capabilities
// and rlimits (runc exec).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/error.h"
#include "core/base/sys.h"
#include "core/engine/engine.h"
#include "core/engine/runtime.h"

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

// What an engine's exec() takes (core/engine/engine.h): the config's
// process with the options laid over it (runc's rules), or --process's;
// its console: the caller's --console-socket, connected now, or with
// `foreground` a pair whose other end (pty_end) receives the master.
Result<ExecRequest> exec_request(const ExecOptions& o, std::shared_ptr<const Spec> spec,
                                 bool foreground, sys::UniqueFd* pty_end);

// The options as the daemon protocol carries them (a JSON object; paths
// absolute), and back; the error names the field.
std::string exec_options_json(const ExecOptions& o);
Result<ExecOptions> parse_exec_options(std::string_view json, std::string_view where);

// On an engine of one slot, as the daemon execs: the container taken
// over from its record, the process started, the container let go.
// Returns the process's exit code (128+N when killed by signal N), or 0
// once it runs with detach.
Result<int> exec(Runtime& rt, const ExecOptions& o);

}  // namespace ringc
