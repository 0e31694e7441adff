#include "core/init/handshake.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/init/console.h"

namespace ringc {

std::string_view name(MsgKind k) {
  switch (k) {
    case MsgKind::ready:
      return "ready";
    case MsgKind::error:
      return "error";
    case MsgKind::hooks:
      return "hooks";
    case MsgKind::pid:
      return "pid";
    case MsgKind::seccomp:
      return "seccomp";
  }
  return "unknown";
}

std::string_view name(Go g) {
  switch (g) {
    case Go::mapped:
      return "mapped";
    case Go::hooks_ran:
      return "hooks-ran";
    case Go::start:
      return "start";
    case Go::seccomp_taken:
      return "seccomp-taken";
  }
  return "unknown";
}

HandshakeMsg message(MsgKind k) {
  HandshakeMsg m{};
  m.kind = k;
  return m;
}

HandshakeMsg error_message(const Error& e) {
  HandshakeMsg m = message(MsgKind::error);
  m.err = e.err();
  std::string text = e.what();
  std::strncpy(m.text, text.c_str(), sizeof m.text - 1);
  return m;
}

Error error_of(const HandshakeMsg& m) {
  if (m.err && !m.text[0]) return sys_error(m.err, "container init");
  return ringc_error(Errc::init_failed, std::string(m.text, strnlen(m.text, sizeof m.text)));
}

namespace {
std::string names(std::initializer_list<MsgKind> kinds) {
  std::string out = kinds.size() ? "" : "no message";
  for (MsgKind k : kinds) {
    if (!out.empty()) out += " or ";
    out += name(k);
  }
  return out;
}
}  // namespace

Result<void> check_message(HandshakeMsg& m, ssize_t res, std::initializer_list<MsgKind> expected) {
  if (res != ssize_t(sizeof m))
    return ringc_error(Errc::init_failed,
                       fmt::format("handshake: expected a {} message of {} bytes, got {} bytes",
                                   names(expected), sizeof m, res));
  m.text[sizeof m.text - 1] = '\0';
  if (m.version != kHandshakeVersion)
    return ringc_error(Errc::init_failed,
                       fmt::format("handshake: the container init speaks version {}, this ringc {}",
                                   m.version, kHandshakeVersion));
  for (MsgKind k : expected)
    if (m.kind == k) return outcome::success();
  if (m.kind == MsgKind::error) return error_of(m);
  return ringc_error(Errc::init_failed,
                     fmt::format("handshake: expected {} from the container init, got {}",
                                 names(expected), name(m.kind)));
}

bool send_message(int sock, const HandshakeMsg& m) {
  return ::send(sock, &m, sizeof m, MSG_DONTWAIT | MSG_NOSIGNAL) == ssize_t(sizeof m);
}

bool send_go(int fd, Go g) {
  auto b = char(g);
  return ::send(fd, &b, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1;
}

bool send_start_with_stdio(int sock, const int (&stdio)[3]) {
  const char b = char(Go::start);
  return bool(send_fds(sock, stdio, {&b, 1}, "start", MSG_DONTWAIT));
}

namespace {
Result<void> check_go(char b, Go want) {
  if (b == char(want)) return outcome::success();
  std::string got = fmt::format("byte {:#04x}", uint8_t(b));
  for (Go g : {Go::mapped, Go::hooks_ran, Go::start, Go::seccomp_taken})
    if (b == char(g)) got = std::string(name(g));
  return ringc_error(
      Errc::init_failed,
      fmt::format("handshake: expected {} from the runtime, got {}", name(want), got));
}
}  // namespace

Result<void> await_go(int fd, Go want) {
  char b = 0;
  ssize_t n;
  do n = ::read(fd, &b, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(127);
  return check_go(b, want);
}

Result<void> hand_over_listener(int sock, int listener) {
  HandshakeMsg m = message(MsgKind::seccomp);
  m.fd = listener;
  if (::write(sock, &m, sizeof m) != ssize_t(sizeof m))
    return sys_error(errno, "hand the seccomp listener to the runtime");
  RINGC_TRY(await_go(sock, Go::seccomp_taken));
  ::close(listener);
  return outcome::success();
}

const char* await_start(int fd) {
  char b = 0;
  int stdio[4];  // a fourth: a start with more than stdio brings none
  size_t got = 0;
  ssize_t n = recv_with_fds(fd, &b, 1, stdio, &got);
  if (n == -ENOTSOCK) {  // the exec fifo
    do n = ::read(fd, &b, 1);
    while (n < 0 && errno == EINTR);
  }
  if (n != 1) ::_exit(127);
  if (b != char(Go::start)) {
    for (size_t k = 0; k < got; ++k) ::close(stdio[k]);
    errno = EPROTO;
    return "handshake: expected start from the runtime, got another byte";
  }
  if (got != 3) {
    for (size_t k = 0; k < got; ++k) ::close(stdio[k]);
    return nullptr;
  }
  for (int k = 0; k < 3; ++k) {
    if (::dup2(stdio[k], k) < 0) return "take the client's stdio";
    if (stdio[k] > 2) ::close(stdio[k]);
  }
  return nullptr;
}

Result<void> release_by_fifo(const std::string& fifo, std::string_view id) {
  int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO || errno == ENOENT)
      return ringc_error(Errc::init_failed,
                         fmt::format("container \"{}\": init is no longer waiting for start", id));
    return sys_error(errno, "open " + fifo);
  }
  auto b = char(Go::start);
  bool sent = ::write(fd, &b, 1) == 1;  // non-blocking, as the fifo was opened
  int e = errno;
  ::close(fd);
  if (!sent) return sys_error(e ? e : EIO, "write " + fifo);
  ::unlink(fifo.c_str());
  return outcome::success();
}

}  // namespace ringc
