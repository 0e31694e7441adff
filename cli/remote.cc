// The ordinary verbs sent to a daemon (--daemon PATH): same flags, same
// output and exit codes as without one.
#include <fcntl.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/base/sys.h"
#include "core/engine/batch.h"
#include "core/init/console.h"
#include "core/spawn/launch.h"
#include "core/spec/json.h"
#include "core/supervisor/protocol.h"
#include "core/verbs/container.h"
#include "core/verbs/waits.h"

namespace ringc::cli {

namespace {
// A path the client gave, made absolute against its own directory: the
// daemon resolves nothing relative to the client's.
std::string absolute_path(std::string path) {
  char cwd[4096];
  if (path.empty() || path[0] == '/' || !::getcwd(cwd, sizeof cwd)) return path;
  return std::string(cwd) + "/" + path;
}

// runc's two-space layout of a one-line JSON object (for `state`).
std::string indent(std::string_view json) {
  std::string out;
  int depth = 0;
  bool in_str = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char ch = json[i];
    if (in_str) {
      out += ch;
      if (ch == '\\' && i + 1 < json.size()) out += json[++i];
      if (ch == '"') in_str = false;
      continue;
    }
    switch (ch) {
      case '"':
        in_str = true;
        out += ch;
        break;
      case '{':
      case '[':
        out += ch;
        out += "\n" + std::string(size_t(2 * ++depth), ' ');
        break;
      case '}':
      case ']':
        out += "\n" + std::string(size_t(2 * --depth), ' ') + ch;
        break;
      case ',':
        out += ",\n" + std::string(size_t(2 * depth), ' ');
        break;
      case ':':
        out += ": ";
        break;
      default:
        out += ch;
    }
  }
  return out + "\n";
}

// What a create or run hands the daemon with the request, as runc's init
// inherits them from runc: the client's stdin, stdout and stderr (unless
// a pty takes their place; a closed one becomes /dev/null), then
// LISTEN_FDS's and --preserve-fds's fds from 3 (a batch: no LISTEN_FDS).
struct Handover {
  std::vector<int> fds;
  sys::UniqueFd null;
};
Result<Handover> handover(Request& r, unsigned preserve, bool terminal, bool listen = true) {
  Handover h;
  r.stdio = !terminal;
  if (r.stdio) {
    for (int fd = 0; fd < 3; ++fd) {
      if (::fcntl(fd, F_GETFD) < 0) {
        if (h.null.get() < 0) h.null = sys::UniqueFd(::open("/dev/null", O_RDWR | O_CLOEXEC));
        if (h.null.get() < 0) return sys_error(errno, "open /dev/null");
        h.fds.push_back(h.null.get());
      } else {
        h.fds.push_back(fd);
      }
    }
  }
  r.listen_fds = listen ? listen_fds() : 0;
  r.fds = r.listen_fds + preserve;
  if (h.fds.size() + r.fds > kMaxSentFds)
    return ringc_error(Errc::bad_usage, fmt::format("--preserve-fds: at most {} fds go to a daemon",
                                                    kMaxSentFds - h.fds.size()));
  for (unsigned fd = 3; fd < 3 + r.fds; ++fd) h.fds.push_back(int(fd));
  return h;
}

// A listening socket in a directory of its own, for a foreground
// terminal: the daemon's init sends the pty master there.
class ConsoleListener {
 public:
  ~ConsoleListener() {
    if (!dir_.empty()) {
      ::unlink(path().c_str());
      ::rmdir(dir_.c_str());
    }
  }
  Result<void> open() {
    char tmpl[] = "/tmp/ringc-console-XXXXXX";
    if (!::mkdtemp(tmpl)) return sys_error(errno, "mkdtemp for the console socket");
    dir_ = tmpl;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path().c_str());
    fd_ = sys::UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (fd_.get() < 0 || ::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
        ::listen(fd_.get(), 1) < 0)
      return sys_error(errno, "console socket " + path());
    return outcome::success();
  }
  std::string path() const { return dir_ + "/console.sock"; }
  // The master, once the container is created: the daemon connected before
  // it cloned the init, and the init sent it before it reported ready.
  Result<sys::UniqueFd> master() {
    sys::UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.get() < 0) return sys_error(errno, "accept the daemon on the console socket");
    return receive_fd(conn.get());
  }

 private:
  std::string dir_;
  sys::UniqueFd fd_;
};

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

Result<int> remote_create_or_run(Context& ctx, std::span<const std::string> argv, bool run) {
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

Result<int> remote_create(Context& ctx, std::span<const std::string> argv) {
  return remote_create_or_run(ctx, argv, false);
}
Result<int> remote_run(Context& ctx, std::span<const std::string> argv) {
  return remote_create_or_run(ctx, argv, true);
}

Result<int> remote_simple(Context& ctx, std::span<const std::string> argv, const char* op) {
  RINGC_TRY(auto a, parse(argv, {}, op));
  RINGC_TRY(auto id, one_id(a.positional, op));
  Request r;
  r.op = op;
  r.id = id;
  RINGC_TRY(auto reply, call(ctx, r));
  if (std::string_view(op) == "wait") {
    int64_t code = reply_int(reply.line, "exit_code").value_or(-1);
    std::printf("%lld\n", (long long)code);
    return int(code & 0xff);
  }
  if (std::string_view(op) == "state")
    std::fputs(indent(reply_raw(reply.line, "state").value_or("{}")).c_str(), stdout);
  return 0;
}

Result<int> remote_start(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "start");
}
Result<int> remote_state(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "state");
}
Result<int> remote_wait(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "wait");
}
Result<int> remote_pause(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "pause");
}
Result<int> remote_resume(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "resume");
}

// kill ID [SIGNAL] [--all] [--grace DURATION]: with --grace, the signal now
// and SIGKILL when the grace period runs out (a ring timer in the daemon).
Result<int> remote_kill(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("kill"), "kill"));
  if (a.positional.empty() || a.positional.size() > 2)
    return ringc_error(Errc::bad_usage,
                       "\"kill\" requires the container id and an optional signal");
  Request r;
  r.op = "kill";
  r.id = a.positional[0];
  r.signal = a.positional.size() == 2 ? a.positional[1] : "TERM";
  r.all = a.has("all");
  if (a.has("grace")) {
    std::string g = a.get("grace");
    int64_t scale = g.ends_with("ms") ? 1 : 1000;
    std::string digits = g.substr(0, g.find_first_not_of("0123456789"));
    std::string unit = g.substr(digits.size());
    if (digits.empty() || (unit != "" && unit != "s" && unit != "ms"))
      return ringc_error(
          Errc::bad_usage,
          fmt::format("--grace: want a duration such as 10s or 500ms, got \"{}\"", g));
    r.grace_ms = std::stoll(digits) * scale;
  }
  RINGC_TRY(call(ctx, r));
  return 0;
}

// delete [--force] ID...: several ids go down one connection, pipelined
// (the daemon works on them together); the first error is reported.
Result<int> remote_delete(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("delete"), "delete"));
  if (a.positional.empty())
    return ringc_error(Errc::bad_usage,
                       "\"delete\" requires at least 1 argument (the container id)");
  Connection c;
  RINGC_TRY(c.open(ctx.daemon));
  std::string batch;
  for (auto& id : a.positional) {
    Request r;
    r.op = "delete";
    r.id = id;
    r.force = a.has("force");
    batch += request_json(r);
  }
  RINGC_TRY(c.send(batch));
  std::optional<std::string> first_error;
  for (size_t i = 0; i < a.positional.size(); ++i) {
    RINGC_TRY(auto line, c.line());
    if (line.empty()) return ringc_error(Errc::init_failed, "the daemon closed the connection");
    Reply reply = parse_reply(line);
    if (!reply.ok && !first_error) first_error = reply.error;
    if (auto w = reply_string(reply.line, "warning")) ctx.runtime.warn(*w);  // poststop, as runc's
  }
  if (first_error) return ringc_error(Errc::init_failed, *first_error);
  return 0;
}

Result<int> remote_list(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("list"), "list"));
  std::string format = a.get("format", "table");
  if (format != "table" && format != "json")
    return ringc_error(Errc::bad_usage, fmt::format("invalid format option \"{}\"", format));
  Request r;
  r.op = "list";
  RINGC_TRY(auto reply, call(ctx, r));
  std::string arr = reply_raw(reply.line, "containers").value_or("[]");
  if (format == "json" && !a.has("quiet")) {
    std::fputs((arr + "\n").c_str(), stdout);
    return 0;
  }
  json::Document doc;
  json::Array items;
  if (!doc.parse(arr) || !doc.root().get(items))
    return ringc_error(Errc::init_failed, "the daemon sent a list that is not valid JSON");
  std::vector<ListEntry> entries;
  for (json::Value e : items) {
    ListEntry le;
    std::string_view s;
    int64_t pid = 0;
    if (e["id"].get(s)) le.id = s;
    if (e["bundle"].get(s)) le.bundle = s;
    if (e["created"].get(s)) le.created = s;
    if (e["owner"].get(s)) le.owner = s;
    if (e["status"].get(s)) le.status = fsm::parse_state(s);  // "unknown": a damaged record
    if (e["error"].get(s)) le.error = s;
    if (e["pid"].get(pid)) le.pid = int(pid);
    entries.push_back(std::move(le));
  }
  std::string out;
  if (a.has("quiet"))
    for (auto& e : entries) out += e.id + "\n";
  else
    out = list_table(entries);
  std::fputs(out.c_str(), stdout);
  return 0;
}

// exec, ps, update and events --stats: the CLI's own code, run here
// against the daemon's state root (asked with `info`), as runc runs them
// against its --root. The daemon keeps supervising the container meanwhile.
Result<int> on_daemon_root(Context& ctx, std::span<const std::string> argv, Handler local) {
  Request r;
  r.op = "info";
  RINGC_TRY(auto reply, call(ctx, r));
  auto root = reply_string(reply.line, "root");
  if (!root || root->empty())
    return ringc_error(Errc::init_failed, "the daemon did not say where its state root is");
  Runtime rt(*root);
  rt.warn = ctx.runtime.warn;
  Context here{rt, ctx.log, ctx.systemd_cgroup, ""};
  return local(here, argv);
}

// events: the daemon's stream of transitions and exits, one JSON per line,
// until the daemon goes away (or the user interrupts). With --stats or
// --interval, runc's stats, read from the cgroup as without a daemon.
Result<int> remote_events(Context& ctx, std::span<const std::string> argv) {
  for (const std::string& w : argv)
    if (w == "--stats" || w.starts_with("--interval")) return on_daemon_root(ctx, argv, cmd_events);
  RINGC_TRY(auto a, parse(argv, {}, "events"));
  Request r;
  r.op = "subscribe";
  Connection c;
  RINGC_TRY(call(ctx, r, c));
  std::string want = a.positional.empty() ? "" : "\"id\":\"" + a.positional[0] + "\"";
  for (;;) {
    RINGC_TRY(auto line, c.line());
    if (line.empty()) return 0;
    if (!want.empty() && line.find(want) == std::string::npos) continue;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
}

Result<int> remote_stats(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(parse(argv, {}, "stats"));
  Request r;
  r.op = "stats";
  RINGC_TRY(auto reply, call(ctx, r));
  std::fputs((reply.line + "\n").c_str(), stdout);
  return 0;
}

Result<int> remote_exec(Context& ctx, std::span<const std::string> argv) {
  return on_daemon_root(ctx, argv, cmd_exec);
}
Result<int> remote_ps(Context& ctx, std::span<const std::string> argv) {
  return on_daemon_root(ctx, argv, cmd_ps);
}

Result<int> remote_batch(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, batch_flags(), "batch"));
  RINGC_TRY(auto o, batch_options(a));
  Request r;
  r.op = "batch";
  r.bundle = absolute_path(o.bundle);
  r.count = o.count;
  r.parallel = o.parallel;
  r.prefix = o.prefix;
  r.keep = o.keep;
  // Its containers write where a local batch's would: this client's stdio.
  RINGC_TRY(auto h, handover(r, 0, false, false));
  Connection c;
  RINGC_TRY(auto reply, call(ctx, r, c, h.fds));
  std::string report = reply_raw(reply.line, "report").value_or("{}");
  if (a.has("json")) {
    std::fputs((report + "\n").c_str(), stdout);
  } else {
    std::fputs(batch_summary(parse_batch_report(report), o.keep).c_str(), stdout);
  }
  return reply_int(report, "failed").value_or(0) ? 1 : 0;
}
}  // namespace

Handler remote_handler(std::string_view verb) {
  static constexpr std::pair<std::string_view, Handler> kRemote[] = {
      {"create", remote_create}, {"run", remote_run},       {"start", remote_start},
      {"state", remote_state},   {"kill", remote_kill},     {"delete", remote_delete},
      {"list", remote_list},     {"events", remote_events}, {"batch", remote_batch},
      {"stats", remote_stats},   {"wait", remote_wait},     {"pause", remote_pause},
      {"resume", remote_resume}, {"exec", remote_exec},     {"ps", remote_ps},
      {"update", cmd_update}};
  for (auto& [name, h] : kRemote)
    if (name == verb) return h;
  return nullptr;
}

}  // namespace ringc::cli
