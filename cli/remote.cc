// The ordinary verbs sent to a daemon (--daemon PATH): same flags, same
// output and exit codes as without one.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/protocol.h"
#include "core/batch.h"
#include "core/container.h"
#include "core/json.h"

namespace ringc::cli {

namespace {
class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  Result<void> open(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path)
      return ringc_error(Errc::bad_usage, "--daemon: socket path too long");
    std::memcpy(addr.sun_path, path.data(), path.size());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
      return sys_error(errno, "connect to daemon " + path);
    return outcome::success();
  }
  Result<void> send(const std::string& line) {
    size_t done = 0;
    while (done < line.size()) {
      ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return sys_error(errno, "write to daemon");
      done += size_t(n);
    }
    return outcome::success();
  }
  // The next line; "" at EOF.
  Result<std::string> line() {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      char chunk[4096];
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return sys_error(errno, "read from daemon");
      if (n == 0) return std::string();
      buf_.append(chunk, size_t(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

// One request, one reply; an error reply becomes this command's error.
Result<Reply> call(Context& ctx, const Request& r, Connection& c) {
  RINGC_TRY(c.open(ctx.daemon));
  RINGC_TRY(c.send(request_json(r)));
  RINGC_TRY(auto line, c.line());
  if (line.empty()) return ringc_error(Errc::init_failed, "the daemon closed the connection");
  Reply reply = parse_reply(line);
  if (!reply.ok) return ringc_error(Errc::init_failed, reply.error);
  return reply;
}
Result<Reply> call(Context& ctx, const Request& r) {
  Connection c;
  return call(ctx, r, c);
}

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

Result<int> remote_create_or_run(Context& ctx, std::span<const std::string> argv, bool run) {
  std::vector<FlagSpec> flags(create_flags().begin(), create_flags().end());
  flags.push_back({"restart", "", true});
  flags.push_back({"rm", "", false});
  const char* verb = run ? "run" : "create";
  RINGC_TRY(auto a, parse(argv, flags, verb));
  RINGC_TRY(refuse_local_only_flags(a, verb));
  RINGC_TRY(auto id, one_id(a.positional, verb));
  Request r;
  r.op = verb;
  r.id = id;
  r.bundle = absolute_path(a.get("bundle", "."));
  r.rm = a.has("rm");
  r.console_socket = absolute_path(a.get("console-socket"));
  r.pidfd_socket = absolute_path(a.get("pidfd-socket"));
  r.no_pivot = a.has("no-pivot");
  r.no_new_keyring = a.has("no-new-keyring");
  // In the foreground the reply comes at the exit (and --rm cannot remove
  // the container before a separate wait could ask for its status).
  r.wait = run && !a.has("detach");
  RINGC_TRY(r.restart, parse_restart(a.get("restart", "no")));
  RINGC_TRY(auto reply, call(ctx, r));
  RINGC_TRY(write_pid_file(a.get("pid-file"), pid_t(reply_int(reply.line, "pid").value_or(0))));
  if (!r.wait) return 0;
  return int(reply_int(reply.line, "exit_code").value_or(-1) & 0xff);
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
  RINGC_TRY(auto a, parse(argv, {{"all", "a", false}, {"grace", "", true}}, "kill"));
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
  RINGC_TRY(auto a, parse(argv, {{"force", "f", false}}, "delete"));
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
  RINGC_TRY(auto a, parse(argv, {{"format", "f", true}, {"quiet", "q", false}}, "list"));
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
    if (e["status"].get(s)) le.status = fsm::parse_state(s).value_or(fsm::State::stopped);
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
Result<int> remote_update(Context& ctx, std::span<const std::string> argv) {
  return on_daemon_root(ctx, argv, cmd_update);
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
  RINGC_TRY(auto reply, call(ctx, r));
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
      {"update", remote_update}};
  for (auto& [name, h] : kRemote)
    if (name == verb) return h;
  return nullptr;
}

}  // namespace ringc::cli
