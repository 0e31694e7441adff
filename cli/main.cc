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
#include "cli/flags.h"
#include "commit.h"  // made at every build (cli/commit.cmake): RINGC_COMMIT
#include "core/base/compat.h"
#include "core/verbs/features.h"

namespace ringc::cli {

namespace {
Result<int> cmd_needs_daemon(Context&, std::span<const std::string>) {
  return ringc_error(Errc::bad_usage, "this command talks to a daemon: give --daemon SOCKET");
}

constexpr Command kCommands[] = {
    {"bench", cmd_bench},
    {"batch", cmd_batch, remote_batch},
    {"create", cmd_create, remote_create},
    {"daemon", cmd_daemon},
    {"delete", cmd_delete, remote_delete},
    {"events", cmd_events, remote_events},
    {"exec", cmd_exec, remote_exec},
    {"features", cmd_features},
    {"fsm", cmd_fsm, cmd_fsm},
    {"kill", cmd_kill, remote_kill},
    {"list", cmd_list, remote_list},
    {"pause", cmd_pause, remote_pause},
    {"ps", cmd_ps, remote_ps},
    {"resume", cmd_resume, remote_resume},
    {"run", cmd_run, remote_run},
    {"spec", cmd_spec, cmd_spec},
    {"start", cmd_start, remote_start},
    {"state", cmd_state, remote_state},
    {"stats", cmd_needs_daemon, remote_stats},
    {"update", cmd_update, cmd_update},  // one function: the daemon is asked inside
    {"wait", cmd_needs_daemon, remote_wait},
};

constexpr const char* kVersion = RINGC_VERSION;  // CMake's project(VERSION)
constexpr const char* kSpecVersion = kOciVersionMax;

void usage() {
  std::fputs(help_text("ringc").c_str(), stdout);
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
const std::span<const FlagSpec> kGlobalFlags = flags_of("ringc");

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
  // `ringc help [COMMAND]` and `ringc COMMAND --help`: from the flag table.
  if (word == "help") {
    std::string topic = ci + 1 < argv.size() ? argv[ci + 1] : "ringc";
    std::string text = help_text(topic);
    if (text.empty()) {
      log_error(log, fmt::format("unknown command \"{}\" (try ringc --help)", topic));
      return 1;
    }
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  if (wants_help(argv.subspan(ci + 1), daemon_flags_of(word))) {
    if (std::string text = help_text(word); !text.empty()) {
      std::fputs(text.c_str(), stdout);
      return 0;
    }
  }
  const Command* cmd = nullptr;
  for (auto& c : kCommands)
    if (c.name == word) cmd = &c;
  if (!cmd) {
    log_error(log, fmt::format("unknown command \"{}\" (try ringc --help)", word));
    return 1;
  }
  // The kernel's floor (pidfds), said once here rather than as a
  // container that seems to have stopped.
  if (word != "spec" && word != "features" && word != "fsm") {
    if (std::string missing = compat::missing_floor(); !missing.empty()) {
      log_error(log, missing);
      return 1;
    }
  }
  Runtime runtime(ga.get("root", default_root()));
  Context ctx{runtime, log, ga.has("systemd-cgroup"), ga.get("daemon")};
  runtime.warn = [&log](std::string_view msg) { log_line(log, "warning", msg); };
  Handler handler = cmd->run;
  if (!ctx.daemon.empty()) {
    handler = cmd->remote;
    if (!handler) {
      log_error(log, fmt::format("\"{}\" cannot go through --daemon yet; run it without", word));
      return 1;
    }
  }
  auto r = handler(ctx, argv.subspan(ci + 1));
  if (const ring::Features* f = runtime.ring_features())
    log_debug(log, fmt::format("{} reactor: {}", word, ring::describe(*f)));
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
