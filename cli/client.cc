#include "cli/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/init/console.h"

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

}  // namespace ringc::cli
