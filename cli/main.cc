// ringc: global flags, then one command from the table.
#include <seccomp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/command.h"
#include "core/features.h"

namespace ringc::cli {

namespace {
Result<int> cmd_needs_daemon(Context&, std::span<const std::string>) {
  return ringc_error(Errc::bad_usage, "this command talks to a daemon: give --daemon SOCKET");
}

constexpr Command kCommands[] = {
    {"bench", "measure OCI runtimes side by side (run, lifecycle, burst)", cmd_bench},
    {"batch", "start, reap and delete N containers of one bundle on one reactor", cmd_batch},
    {"create", "create a container", cmd_create},
    {"daemon", "supervise containers on one reactor, served on a unix socket", cmd_daemon},
    {"delete", "delete any resources held by the container", cmd_delete},
    {"events", "display container events such as OOM notifications and resource usage", cmd_events},
    {"exec", "execute new process inside the container", cmd_exec},
    {"features", "show the enabled features (runtime-spec features.md)", cmd_features},
    {"fsm", "print the lifecycle transition table as a diagram", cmd_fsm},
    {"kill", "send a signal to the container's init process", cmd_kill},
    {"list", "list containers started by ringc with the given root", cmd_list},
    {"pause", "suspend all processes inside the container", cmd_pause},
    {"ps", "list the processes running inside a container", cmd_ps},
    {"resume", "resume all processes that have been previously paused", cmd_resume},
    {"run", "create and run a container", cmd_run},
    {"spec", "create a new specification file", cmd_spec},
    {"start", "execute the user defined process in a created container", cmd_start},
    {"state", "output the state of a container", cmd_state},
    {"stats", "the daemon's engine counters (with --daemon)", cmd_needs_daemon},
    {"update", "update container resource constraints", cmd_update},
    {"wait", "wait for a container to exit and print its exit code (with --daemon)",
     cmd_needs_daemon},
};

constexpr const char* kVersion = RINGC_VERSION;  // CMake's project(VERSION)
constexpr const char* kSpecVersion = kOciVersionMax;

void usage() {
  std::string out =
      "ringc: an OCI container runtime and supervisor on io_uring\n\n"
      "usage: ringc [global options] command [command options] [arguments...]\n\n"
      "commands:\n";
  for (auto& c : kCommands) out += fmt::format("   {:<10}{}\n", c.name, c.summary);
  out +=
      "\nglobal options:\n"
      "   --root value        root directory for container state (default: /run/ringc)\n"
      "   --log value         write errors to this file instead of stderr\n"
      "   --log-format value  text or json (default: text)\n"
      "   --debug             log debug output\n"
      "   --systemd-cgroup    take cgroupsPath in systemd's slice:prefix:name form\n"
      "   --daemon value      send the command to the ringc daemon on this socket\n"
      "   --version, -v       print the version\n";
  std::fputs(out.c_str(), stdout);
}
}  // namespace

std::span<const Command> commands() {
  return kCommands;
}

Result<std::string> one_id(const std::vector<std::string>& positional, std::string_view command) {
  if (positional.size() != 1)
    return ringc_error(
        Errc::bad_usage,
        fmt::format("\"{}\" requires exactly 1 argument (the container id)", command));
  return positional[0];
}

Result<int> with_one_id(std::span<const std::string> argv, std::string_view command,
                        Result<void> (*f)(Runtime&, std::string_view), Runtime& rt) {
  RINGC_TRY(auto a, parse(argv, {}, command));
  RINGC_TRY(auto id, one_id(a.positional, command));
  RINGC_TRY(f(rt, id));
  return 0;
}

namespace {
constexpr FlagSpec kGlobalFlags[] = {{"root", "", true},
                                     {"log", "", true},
                                     {"log-format", "", true},
                                     {"debug", "", false},
                                     {"systemd-cgroup", "", false},
                                     {"daemon", "", true},
                                     {"rootless", "", true},
                                     {"criu", "", true},
                                     {"version", "v", false},
                                     {"help", "h", false}};

// Index of the command word: the first argument that is not a global flag
// or a global flag's value.
size_t command_index(std::span<const std::string> argv) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.empty() || a[0] != '-') return i;
    std::string_view name = std::string_view(a).substr(a.size() > 1 && a[1] == '-' ? 2 : 1);
    if (name.find('=') != std::string_view::npos) continue;
    for (auto& f : kGlobalFlags)
      if ((f.name == name || f.alias == name) && f.takes_value) ++i;
  }
  return argv.size();
}
}  // namespace

int run_main(std::span<const std::string> argv) {
  size_t ci = command_index(argv);
  LogConfig log;
  auto g = parse(argv.subspan(0, ci), kGlobalFlags, "ringc");
  if (!g) {
    log_error(log, g.error().what());
    return 1;
  }
  const Args& ga = g.value();
  log.file = ga.get("log");
  std::string fmt_name = ga.get("log-format", "text");
  if (fmt_name != "text" && fmt_name != "json") {
    log_error(log, fmt::format("invalid log-format \"{}\": must be text or json", fmt_name));
    return 1;
  }
  log.json = fmt_name == "json";
  log.debug = ga.has("debug");
  if (ga.has("version")) {
    // runc's lines (podman and containerd read the first).
    const scmp_version* sv = seccomp_version();
    std::printf("ringc version %s\ncommit: %s\nspec: %s\nlibseccomp: %u.%u.%u\n", kVersion,
                RINGC_COMMIT, kSpecVersion, sv->major, sv->minor, sv->micro);
    return 0;
  }
  if (ga.has("help") || ci == argv.size()) {
    usage();
    return ci == argv.size() && !ga.has("help") ? 1 : 0;
  }
  const std::string& word = argv[ci];
  const Command* cmd = nullptr;
  for (auto& c : kCommands)
    if (c.name == word) cmd = &c;
  if (!cmd) {
    log_error(log, fmt::format("unknown command \"{}\" (try ringc --help)", word));
    return 1;
  }
  Runtime runtime(ga.get("root", std::string(kDefaultRoot)));
  Context ctx{runtime, log, ga.has("systemd-cgroup"), ga.get("daemon")};
  runtime.warn = [&log](std::string_view msg) { log_line(log, "warning", msg); };
  Handler handler = cmd->run;
  if (!ctx.daemon.empty() && cmd->name != "spec" && cmd->name != "fsm") {
    handler = remote_handler(cmd->name);
    if (!handler) {
      log_error(log, fmt::format("\"{}\" cannot go through --daemon yet; run it without", word));
      return 1;
    }
  }
  auto r = handler(ctx, argv.subspan(ci + 1));
  log_debug(log, fmt::format("{} phases: {}", word, runtime.timeline.summary()));
  if (!r) {
    log_error(log, r.error().what());
    return 1;
  }
  return r.value();
}

}  // namespace ringc::cli

int main(int argc, char** argv) {
  // Only a command that passes fds needs to know which were handed over;
  // the rest skip the probing.
  bool passes_fds = std::getenv("LISTEN_FDS") != nullptr;
  for (int i = 1; i < argc && !passes_fds; ++i)
    passes_fds = std::strstr(argv[i], "preserve-fds") != nullptr;
  if (passes_fds) ringc::cli::note_inherited_fds();
  std::vector<std::string> all(argv + 1, argv + argc);
  return ringc::cli::run_main(all);
}
