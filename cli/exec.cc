#include <fmt/format.h>

#include <cstdlib>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/verbs/exec.h"

namespace ringc::cli {

namespace {
// Flags come before the id; everything after the id is the command, its
// own dashes included (`exec web sh -c 'x'`).
size_t id_position(std::span<const std::string> argv) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") return i + 1;
    if (a.size() < 2 || a[0] != '-') return i;
    if (a.find('=') != std::string::npos) continue;
    std::string_view name =
        a[1] == '-' ? std::string_view(a).substr(2) : std::string_view(a).substr(1);
    for (auto& f : flags_of("exec"))
      if ((f.name == name || f.alias == name) && f.takes_value) ++i;
  }
  return argv.size();
}

Result<int> run_exec(Context& ctx, std::span<const std::string> argv) {
  size_t at = id_position(argv);
  RINGC_TRY(auto a, parse(argv.first(at), flags_of("exec"), "exec"));
  ExecOptions o;
  o.id = argv[at];
  o.args.assign(argv.begin() + long(at) + 1, argv.end());
  o.process_file = a.get("process");
  if (auto it = a.values.find("env"); it != a.values.end()) o.env = it->second;
  if (auto it = a.values.find("cap"); it != a.values.end()) o.caps = it->second;
  if (auto it = a.values.find("cgroup"); it != a.values.end()) o.cgroups = it->second;
  if (auto it = a.values.find("additional-gids"); it != a.values.end())
    for (auto& g : it->second)
      o.additional_gids.push_back(gid_t(std::strtoul(g.c_str(), nullptr, 10)));
  o.cwd = a.get("cwd");
  o.user = a.get("user");
  o.no_new_privs = a.has("no-new-privs");
  o.apparmor = a.get("apparmor");
  o.tty = a.has("tty");
  o.console_socket = a.get("console-socket");
  o.pidfd_socket = a.get("pidfd-socket");
  o.detach = a.has("detach");
  o.ignore_paused = a.has("ignore-paused");
  o.pid_file = a.get("pid-file");
  o.preserve_fds = unsigned(std::strtoul(a.get("preserve-fds", "0").c_str(), nullptr, 10));
  for (unsigned fd = 3; fd < 3 + o.preserve_fds; ++fd)  // the caller's, never ringc's own
    if (!fd_inherited(int(fd)))
      return ringc_error(Errc::bad_usage,
                         fmt::format("exec: --preserve-fds: fd {} is not open", fd));
  if (!o.process_file.empty() && !o.args.empty())
    return ringc_error(Errc::bad_usage, "exec: give a command or --process, not both");
  return exec(ctx.runtime, o);
}

}  // namespace

// runc's rule: once the arguments are read, a failure of the runtime (no
// such container, a paused one, an unwritable --pid-file) exits 255, so
// that clients tell it from the process's own exit code.
Result<int> cmd_exec(Context& ctx, std::span<const std::string> argv) {
  if (id_position(argv) >= argv.size())
    return ringc_error(Errc::bad_usage, "exec: a container id is required");
  auto code = run_exec(ctx, argv);
  if (code) return code;
  log_error(ctx.log, code.error().what());
  return 255;
}

Result<int> remote_exec(Context& ctx, std::span<const std::string> argv) {
  return on_daemon_root(ctx, argv, cmd_exec);
}

}  // namespace ringc::cli
