#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/init/console.h"
#include "core/spawn/launch.h"
#include "core/verbs/container.h"
#include "core/verbs/waits.h"

namespace ringc::cli {

Result<int> cmd_run(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, create_flags(true), "run"));
  RINGC_TRY(auto id, one_id(a.positional, "run"));
  RINGC_TRY(auto o, create_options(a, id, "run"));
  o.keep = a.has("keep");
  return run(ctx.runtime, o, a.has("detach"));
}

namespace {
// The foreground of `run` through a daemon, as runc's: signals passed on
// (a `kill` each), the pty copied, until the `wait` reply gives the code.
Result<int> remote_foreground(Context& ctx, const std::string& id, int pty_master) {
  Connection c;
  RINGC_TRY(c.open(ctx.daemon));
  Request w;
  w.op = "wait";
  w.id = id;
  RINGC_TRY(c.send(request_json(w)));
  sigset_t fwd = forwarded_signals();
  sys::UniqueFd sfd(::signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK));
  if (sfd.get() < 0) return sys_error(errno, "signalfd");
  DaemonWait dw;
  dw.fd = c.fd();
  dw.exit_of = [](std::string_view line) -> Result<int> {
    Reply reply = parse_reply(line);
    if (!reply.ok) return ringc_error(Errc::init_failed, reply.error);
    return int(reply_int(reply.line, "exit_code").value_or(-1));
  };
  dw.forward = [&](int sig) {
    Request k;
    k.op = "kill";
    k.id = id;
    k.signal = std::to_string(sig);
    Connection kc;  // the daemon acts on it once read; no need to wait for the reply
    if (kc.open(ctx.daemon)) (void)kc.send(request_json(k));
  };
  RINGC_TRY(auto ring, ctx.runtime.ring());
  return await_reply_forwarding(*ring, dw, sfd.get(), pty_master);
}
}  // namespace

Result<int> remote_launch(Context& ctx, std::span<const std::string> argv, bool run) {
  const char* verb = run ? "run" : "create";
  RINGC_TRY(auto a, parse(argv, daemon_flags_of(verb), verb));
  RINGC_TRY(auto id, one_id(a.positional, verb));
  RINGC_TRY(auto o, create_options(a, id, verb));  // --preserve-fds against what we were handed
  Request r;
  r.op = verb;
  r.id = id;
  r.bundle = absolute_path(o.bundle);
  const bool foreground = run && !a.has("detach");
  // The bundle is the daemon's to read. A foreground run reads whether a
  // pty is asked for (then it takes the pty in place of sending stdio); a
  // detached init with a pty puts it over the stdio it was sent.
  bool terminal = false;
  if (foreground) {
    RINGC_TRY(auto p, prepare(id, r.bundle));
    terminal = p.spec.process.terminal;
  }
  r.console_socket = absolute_path(o.console_socket);
  r.pidfd_socket = absolute_path(o.pidfd_socket);
  r.no_pivot = o.no_pivot;
  r.no_new_keyring = o.no_new_keyring;
  RINGC_TRY(r.restart, parse_restart(a.get("restart", "no")));
  // In the foreground this client waits and then deletes, as runc run
  // does (unless a restart policy keeps the container with the daemon):
  // the exit code is asked for before the container can be gone.
  r.rm = a.has("rm") && !foreground;
  const bool delete_after = foreground && r.restart.kind == RestartKind::no && !a.has("keep");
  ConsoleListener console;
  if (foreground && terminal && r.console_socket.empty()) {
    RINGC_TRY(console.open());
    r.console_socket = console.path();
    r.op = "create";  // started once the pty is ours
  }
  sigset_t fwd = forwarded_signals(), old;
  if (foreground) ::sigprocmask(SIG_BLOCK, &fwd, &old);  // from now on they are passed on
  RINGC_TRY(auto h, handover(r, o.preserve_fds, terminal));
  Connection c;
  RINGC_TRY(auto reply, call(ctx, r, c, h.fds));
  RINGC_TRY(write_pid_file(o.pid_file, pid_t(reply_int(reply.line, "pid").value_or(0))));
  if (!foreground) return 0;
  sys::UniqueFd master;
  if (r.op == "create") {
    RINGC_TRY(master, console.master());
    Request s;
    s.op = "start";
    s.id = id;
    RINGC_TRY(call(ctx, s));
  }
  auto code = remote_foreground(ctx, id, master.get());
  master = sys::UniqueFd();
  if (code && delete_after) {
    Request d;
    d.op = "delete";
    d.id = id;
    RINGC_TRY(auto dr, call(ctx, d));
    if (auto w = reply_string(dr.line, "warning")) ctx.runtime.warn(*w);
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  if (!code) return code.error();
  return code.value() & 0xff;
}

Result<int> remote_run(Context& ctx, std::span<const std::string> argv) {
  return remote_launch(ctx, argv, true);
}

}  // namespace ringc::cli
