#include <fmt/format.h>

#include <cstdlib>
#include <optional>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/verbs/container.h"
#include "core/verbs/exec.h"
#include "core/verbs/forwarder.h"
#include "core/verbs/waits.h"

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

Result<ExecOptions> exec_options(std::span<const std::string> argv) {
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
  return o;
}

Result<int> run_exec(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto o, exec_options(argv));
  return exec(ctx.runtime, o);
}

// Through a daemon: the options go as a request, the process is the
// daemon's engine's. It answers once the process runs (its pid) and,
// in the foreground, again at its exit; meanwhile each signal goes on as
// a kill of that pid, and a terminal's pty comes here to be copied.
Result<int> run_remote(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto o, exec_options(argv));
  for (auto* path : {&o.process_file, &o.console_socket, &o.pidfd_socket})
    *path = absolute_path(*path);
  const bool foreground = !o.detach;
  bool terminal = o.tty;
  if (!o.process_file.empty()) {
    RINGC_TRY(auto p, load_process(o.process_file));
    terminal = p.terminal;
  }
  ConsoleListener console;
  const bool own_console = terminal && foreground && o.console_socket.empty();
  if (own_console) {
    RINGC_TRY(console.open());
    o.console_socket = console.path();
  }
  Request r;
  r.op = "exec";
  r.id = o.id;
  r.wait = foreground;
  r.exec = exec_options_json(o);
  std::optional<BlockedSignals> sigs;  // from now on they are passed on
  if (foreground) sigs.emplace();
  // A pty takes the place of stdio.
  RINGC_TRY(auto h, handover(r, o.preserve_fds, terminal, false));
  Connection c;
  RINGC_TRY(auto reply, call(ctx, r, c, h.fds));
  pid_t pid = pid_t(reply_int(reply.line, "pid").value_or(0));
  RINGC_TRY(write_pid_file(o.pid_file, pid));
  if (!foreground) return 0;
  sys::UniqueFd master;
  if (own_console) {
    RINGC_TRY(master, console.master());
  }
  DaemonWait dw;
  dw.fd = c.fd();
  dw.buffered = c.take_buffered();
  dw.exit_of = [](std::string_view line) -> Result<int> {
    Reply reply = parse_reply(line);
    if (!reply.ok) return ringc_error(Errc::init_failed, reply.error);
    return int(reply_int(reply.line, "exit_code").value_or(-1));
  };
  std::string id = o.id;
  dw.forward = [&ctx, id, pid](int sig) {
    Request k;
    k.op = "kill";
    k.id = id;
    k.pid = pid;
    k.signal = std::to_string(sig);
    Connection kc;  // the daemon acts on it once read; no need to wait for the reply
    if (kc.open(ctx.daemon)) (void)kc.send(request_json(k));
  };
  RINGC_TRY(auto ring, ctx.runtime.ring());
  return await_reply_forwarding(*ring, dw, sigs->fd(), master.get());
}

}  // namespace

// runc's rule: once the arguments are read, a failure of the runtime (no
// such container, a paused one, an unwritable --pid-file) exits 255, so
// that clients tell it from the process's own exit code.
namespace {
Result<int> exec_255(Context& ctx, std::span<const std::string> argv,
                     Result<int> (*run)(Context&, std::span<const std::string>)) {
  if (id_position(argv) >= argv.size())
    return ringc_error(Errc::bad_usage, "exec: a container id is required");
  auto code = run(ctx, argv);
  if (code) return code;
  log_error(ctx.log, code.error().what());
  return 255;
}
}  // namespace

Result<int> cmd_exec(Context& ctx, std::span<const std::string> argv) {
  return exec_255(ctx, argv, run_exec);
}

Result<int> remote_exec(Context& ctx, std::span<const std::string> argv) {
  return exec_255(ctx, argv, run_remote);
}

}  // namespace ringc::cli
