#include "cli/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "cli/args.h"
#include "core/init/console.h"
#include "core/verbs/container.h"

namespace ringc::cli {

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> Connection::open(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return ringc_error(Errc::bad_usage, "--daemon: socket path too long");
  std::memcpy(addr.sun_path, path.data(), path.size());
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
    return sys_error(errno, "connect to daemon " + path);
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.pid > 0) {
    daemon_pid_ = cred.pid;
    daemon_ = sys::UniqueFd(sys::pidfd_open(cred.pid));
  }
  return outcome::success();
}

Result<void> Connection::send(const std::string& line, std::span<const int> fds) {
  if (!fds.empty()) {
    if (auto r = send_fds(fd_, fds, line, "send the request and its fds to the daemon"); !r)
      return refused(r.error());
    return outcome::success();
  }
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::send(fd_, line.data() + done, line.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return refused(sys_error(errno, "write to daemon"));
    done += size_t(n);
  }
  return outcome::success();
}

Result<std::string> Connection::line() {
  for (;;) {
    size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string l = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return l;
    }
    int flags = 0;
    if (daemon_.get() >= 0) {
      pollfd p[2] = {{fd_, POLLIN, 0}, {daemon_.get(), POLLIN, 0}};
      if (::poll(p, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return sys_error(errno, "wait for the daemon");
      }
      if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) flags = MSG_DONTWAIT;
    }
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, flags);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN)  // nothing more will come
      return ringc_error(Errc::init_failed, fmt::format("the daemon (pid {}) exited", daemon_pid_));
    if (n < 0) return sys_error(errno, "read from daemon");
    if (n == 0) return std::string();
    buf_.append(chunk, size_t(n));
  }
}

Error Connection::refused(Error e) {
  auto l = line();
  if (l && !l.value().empty()) {
    Reply reply = parse_reply(l.value());
    if (!reply.ok) return ringc_error(Errc::init_failed, reply.error);
  }
  return e;
}

// One request (with fds, if any), one reply; an error reply becomes this
// command's error.
Result<Reply> call(Context& ctx, const Request& r, Connection& c, std::span<const int> fds) {
  RINGC_TRY(c.open(ctx.daemon));
  RINGC_TRY(c.send(request_json(r), fds));
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

std::string absolute_path(std::string path) {
  char cwd[4096];
  if (path.empty() || path[0] == '/' || !::getcwd(cwd, sizeof cwd)) return path;
  return std::string(cwd) + "/" + path;
}

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

Result<Handover> handover(Request& r, unsigned preserve, bool terminal, bool listen) {
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

ConsoleListener::~ConsoleListener() {
  if (!dir_.empty()) {
    ::unlink(path().c_str());
    ::rmdir(dir_.c_str());
  }
}

Result<void> ConsoleListener::open() {
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

Result<sys::UniqueFd> ConsoleListener::master() {
  sys::UniqueFd conn(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (conn.get() < 0) return sys_error(errno, "accept the daemon on the console socket");
  return receive_fd(conn.get());
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

}  // namespace ringc::cli
