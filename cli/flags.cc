// Every command's flags, written once: parsing, `-h`/`--help` and the
// help tests all read these tables. Flags marked daemon-only are the
// `--daemon` forms'; without a daemon they are refused by name.
#include "cli/flags.h"

#include <fmt/format.h>

namespace ringc::cli {

namespace {
constexpr FlagSpec kGlobal[] = {
    {"root", "", true,
     "root directory for container state (default: /run/ringc; $XDG_RUNTIME_DIR/ringc for another "
     "user than root)"},
    {"log", "", true, "write errors and debug lines to this file instead of stderr"},
    {"log-format", "", true, "text or json (default: text)"},
    {"debug", "", false, "log debug output (each command's phases)"},
    {"systemd-cgroup", "", false, "take cgroupsPath in systemd's slice:prefix:name form"},
    {"daemon", "", true, "send the command to the ringc daemon on this socket"},
    {"rootless", "", true, "accepted for runc's callers; ignored"},
    {"criu", "", true, "accepted for runc's callers; checkpoint/restore is not supported"},
    {"version", "v", false, "print the version"},
    {"help", "h", false, "show this help"},
};

// The daemon's own, create's, run's own: each command's set is one
// contiguous run of it (create: [2, 9); run: [2, 12); with --daemon from 0).
constexpr FlagSpec kCreate[] = {
    {"restart", "", true, "with --daemon: no, on-failure[:N], always or unless-stopped"},
    {"rm", "", false, "with --daemon: delete the container once it has stopped"},
    {"bundle", "b", true, "path to the bundle directory (default: the current directory)"},
    {"pid-file", "", true, "write the init's pid to this file"},
    {"console-socket", "", true, "unix socket that receives the pty master (SCM_RIGHTS)"},
    {"no-pivot", "", false, "move the rootfs onto / and chroot instead of pivot_root"},
    {"no-new-keyring", "", false, "keep the caller's session keyring"},
    {"preserve-fds", "", true, "pass this many fds from 3 up to the container"},
    {"pidfd-socket", "", true, "unix socket that receives a pidfd of the init"},
    {"detach", "d", false, "return once the program runs, leave it running"},
    {"keep", "", false, "leave the stopped container for state and delete"},
    {"no-subreaper", "", false, "accepted for runc's callers (ringc is never a subreaper)"},
};
constexpr size_t kDaemonOnly = 2, kCreateCount = 7;

constexpr FlagSpec kExec[] = {
    {"process", "p", true, "path to a process.json to run (in place of a command)"},
    {"env", "e", true, "set an environment variable (KEY=value), repeatable"},
    {"cwd", "", true, "working directory of the process"},
    {"user", "u", true, "uid[:gid] of the process"},
    {"additional-gids", "g", true, "an additional group id, repeatable"},
    {"cap", "c", true, "add a capability (CAP_NAME), repeatable"},
    {"no-new-privs", "", false, "set no_new_privs for the process"},
    {"apparmor", "", true, "AppArmor profile of the process"},
    {"process-label", "", true, "SELinux label of the process"},
    {"tty", "t", false, "give the process a pty"},
    {"console-socket", "", true, "unix socket that receives the pty master"},
    {"detach", "d", false, "return once the process runs"},
    {"pid-file", "", true, "write the process's pid to this file"},
    {"preserve-fds", "", true, "pass this many fds from 3 up to the process"},
    {"ignore-paused", "", false,
     "exec into a paused container: the process runs once it is resumed"},
    {"pidfd-socket", "", true, "unix socket that receives a pidfd of the process"},
    {"cgroup", "", true,
     "run in this sub-cgroup of the container's ([controller:]path), repeatable"},
};
constexpr FlagSpec kKill[] = {
    {"all", "a", false, "send the signal to every process in the container's cgroup"},
    {"grace", "", true, "with --daemon: send SIGNAL now and KILL after this long (10s, 500ms)"},
};
constexpr FlagSpec kDelete[] = {
    {"force", "f", false, "kill a running container and delete it"},
};
constexpr FlagSpec kEvents[] = {
    {"stats", "", false, "print the container's stats once and exit"},
    {"interval", "", true, "stats every interval (default 5s), OOM kills as they happen"},
};
constexpr FlagSpec kList[] = {
    {"format", "f", true, "table or json (default: table)"},
    {"quiet", "q", false, "print the container ids only"},
};
constexpr FlagSpec kPs[] = {
    {"format", "f", true, "table (the host's ps -ef lines) or json (the pids)"},
};
constexpr FlagSpec kSpec[] = {
    {"bundle", "b", true, "write config.json into this directory"},
    {"rootless", "", false,
     "runc's rootless config for the calling user (user namespace mapping it to root, no network "
     "namespace, /sys bound, no resources)"},
};
constexpr FlagSpec kUpdate[] = {
    {"resources", "r", true, "path to a linux.resources JSON file (- for stdin)"},
    {"memory", "m", true, "memory limit in bytes (k, m, g suffixes)"},
    {"memory-reservation", "", true, "memory soft limit in bytes"},
    {"memory-swap", "", true, "memory plus swap limit in bytes (-1: unlimited)"},
    {"cpu-share", "", true, "CPU shares (relative weight)"},
    {"cpu-shares", "", true, "the same as --cpu-share (ringc's earlier name)"},
    {"cpu-quota", "", true, "CPU quota in microseconds per period"},
    {"cpu-period", "", true, "CPU period in microseconds"},
    {"cpu-rt-period", "", true, "realtime period in microseconds (cgroup v1)"},
    {"cpu-rt-runtime", "", true, "realtime runtime in microseconds per period (cgroup v1)"},
    {"cpuset-cpus", "", true, "CPUs the container may use (0-3, 0,1)"},
    {"cpuset-mems", "", true, "memory nodes the container may use"},
    {"pids-limit", "", true, "maximum number of processes (0 or less: unlimited)"},
    {"blkio-weight", "", true, "block IO weight (not supported yet)"},
    {"kernel-memory", "", true, "kernel memory limit (cgroup v1, deprecated)"},
    {"kernel-memory-tcp", "", true, "kernel TCP memory limit (cgroup v1, deprecated)"},
};
constexpr FlagSpec kFsm[] = {
    {"format", "f", true, "mermaid, dot or markdown (default: mermaid)"},
};
constexpr FlagSpec kBatch[] = {
    {"bundle", "b", true, "the bundle every container runs (default: the current directory)"},
    {"count", "n", true, "how many containers (required)"},
    {"parallel", "p", true, "how many in flight at once (default 1)"},
    {"id-prefix", "", true, "container ids are PREFIX-N (default: batch)"},
    {"keep", "", false, "leave the containers running for the usual verbs"},
    {"json", "", false, "print the report as JSON"},
    {"pool-netns", "", true,
     "keep N network namespaces warm and reuse those given back clean (default 0)"},
    {"pool-cgroups", "", true,
     "recycle up to N cgroup paths, keeping the directories whose counters reset (default 0)"},
};
constexpr FlagSpec kBench[] = {
    {"runtime", "", true,
     "NAME=PATH of a runtime to measure, repeatable (default: ringc, runc, crun)"},
    {"workload", "w", true, "run, lifecycle, burst or idle, repeatable"},
    {"count", "n", true, "containers per round"},
    {"parallel", "p", true, "containers in flight (burst): one K, or a list like 1,8,32"},
    {"rounds", "", true, "rounds per runtime"},
    {"bundle", "b", true, "the bundle to run (default: a busybox bundle made for the run)"},
    {"baseline", "", true, "the runtime the others are compared with"},
    {"json", "", false, "print the results as JSON"},
    {"crun-hide-unified", "", false, "run crun in a mount namespace without the unified mount"},
    {"state-tmpfs", "", false,
     "keep every runtime's state root on a tmpfs, as under a /run that is one"},
    {"svg", "", true, "write a chart of the results to this file"},
    {"physical-limit", "", false, "add the kernel's floor (ringc-bare's child) as a contestant"},
    {"engine", "", false, "add ringc's engine (batch in-process) as a contestant"},
    {"engine-pooled", "", false,
     "add the engine with its network namespace and cgroup pools (recycled starts)"},
    {"epoll", "", false,
     "add ringc on its epoll backend (where io_uring is refused) as a contestant"},
    {"daemon", "", false, "add ringc's command line through a ringc daemon the bench starts"},
    {"daemon-pool", "", true,
     "N: add that, with N inits of the bundle parked (warm runs: docs/pools.md)"},
    {"grace-ms", "", true, "lifecycle: the stop grace period in milliseconds"},
};
constexpr FlagSpec kDaemon[] = {
    {"socket", "s", true, "the unix socket to serve (required)"},
    {"pid-file", "", true, "write the daemon's pid to this file"},
    {"allow-uid", "", true, "a uid besides root's that may connect, repeatable"},
    {"pool-netns", "", true,
     "keep N network namespaces warm and reuse those given back clean (default 0)"},
    {"pool-cgroups", "", true,
     "recycle up to N cgroup paths for its batches' containers (default 0)"},
    {"pool", "", true,
     "BUNDLE=N: keep N inits of the bundle parked, set up, for runs of it, repeatable"},
    {"pool-memory", "", true,
     "MIB: the memory all parked inits may hold, as their cgroups are charged (default: no "
     "budget)"},
};

struct Entry {
  std::string_view command, summary, args;
  std::span<const FlagSpec> flags;
};
const Entry kEntries[] = {
    {"ringc", "", "command [command options] [arguments...]", kGlobal},
    {"bench", "measure OCI runtimes side by side (run, lifecycle, burst)", "[options]", kBench},
    {"batch", "start, reap and delete N containers of one bundle on one reactor", "[options]",
     kBatch},
    {"create", "create a container", "[options] <container-id>",
     std::span<const FlagSpec>(kCreate).subspan(kDaemonOnly, kCreateCount)},
    {"daemon", "supervise containers on one reactor, served on a unix socket",
     "--socket PATH [options]", kDaemon},
    {"delete", "delete any resources held by the container", "[options] <container-id>", kDelete},
    {"events", "display container events such as OOM notifications and resource usage",
     "[options] <container-id>", kEvents},
    {"exec", "execute new process inside the container",
     "[options] <container-id> <command> [args...]", kExec},
    {"features", "show the enabled features (runtime-spec features.md)", "", {}},
    {"fsm", "print the lifecycle transition table as a diagram", "[options]", kFsm},
    {"kill", "send a signal to the container's init process", "[options] <container-id> [signal]",
     kKill},
    {"list", "list containers started by ringc with the given root", "[options]", kList},
    {"pause", "suspend all processes inside the container", "<container-id>", {}},
    {"ps", "list the processes running inside a container", "[options] <container-id> [ps options]",
     kPs},
    {"resume", "resume all processes that have been previously paused", "<container-id>", {}},
    {"run", "create and run a container", "[options] <container-id>",
     std::span<const FlagSpec>(kCreate).subspan(kDaemonOnly)},
    {"spec", "create a new specification file", "[options]", kSpec},
    {"start", "execute the user defined process in a created container", "<container-id>", {}},
    {"state", "output the state of a container", "<container-id>", {}},
    {"stats", "the daemon's engine counters (with --daemon)", "(with --daemon)", {}},
    {"update", "update container resource constraints", "[options] <container-id>", kUpdate},
    {"wait",
     "wait for a container to exit and print its exit code (with --daemon)",
     "<container-id> (with --daemon)",
     {}},
};

const Entry* entry(std::string_view command) {
  for (auto& e : kEntries)
    if (e.command == command) return &e;
  return nullptr;
}
}  // namespace

std::span<const FlagSpec> flags_of(std::string_view command) {
  const Entry* e = entry(command);
  return e ? e->flags : std::span<const FlagSpec>{};
}

std::span<const FlagSpec> daemon_flags_of(std::string_view command) {
  if (command == "create")
    return std::span<const FlagSpec>(kCreate).first(kDaemonOnly + kCreateCount);
  if (command == "run") return kCreate;
  return flags_of(command);
}

std::string help_text(std::string_view command) {
  const Entry* e = entry(command);
  if (!e) return "";
  std::string out;
  if (command == "ringc") {
    out =
        "ringc: an OCI container runtime and supervisor on io_uring\n\n"
        "usage: ringc [global options] " +
        std::string(e->args) + "\n\ncommands:\n";
    for (auto& c : kEntries)
      if (c.command != "ringc") out += fmt::format("   {:<10}{}\n", c.command, c.summary);
    out += "   help      show a command's help (ringc help COMMAND)\n\nglobal options:\n";
  } else {
    out = fmt::format("ringc {}: {}\n\n", e->command, e->summary);
    out += fmt::format("usage: ringc {} {}\n", command, e->args);
    if (!daemon_flags_of(command).empty()) out += "\noptions:\n";
  }
  // create's and run's with their --daemon forms' (each says so).
  for (auto& f : daemon_flags_of(command)) {
    std::string names = fmt::format("--{}{}", f.name, f.takes_value ? " value" : "");
    if (!f.alias.empty()) names += fmt::format(", -{}", f.alias);
    out += fmt::format("   {:<28}{}\n", names, f.help);
  }
  if (command != "ringc") out += "   --help, -h                  show this help\n";
  return out;
}

std::vector<std::string_view> documented_commands() {
  std::vector<std::string_view> out;
  for (auto& e : kEntries) out.push_back(e.command);
  return out;
}

bool wants_help(std::span<const std::string> argv, std::span<const FlagSpec> flags) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" || a == "--help" || a == "-help") return true;
    // As urfave/cli reads runc's: flags end at the first argument, so
    // `exec ID grep --help` is grep's.
    if (a == "--" || a.size() < 2 || a[0] != '-') return false;
    std::string_view name = std::string_view(a).substr(a[1] == '-' ? 2 : 1);
    if (name.find('=') != std::string_view::npos) continue;
    for (auto& f : flags)
      if ((f.name == name || f.alias == name) && f.takes_value) ++i;
  }
  return false;
}

}  // namespace ringc::cli
