#include "core/init/console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace ringc {

namespace {
// One message carrying up to kMaxSentFds fds (SCM_RIGHTS) and a payload.
struct FdMessage {
  iovec iov;
  alignas(cmsghdr) char control[CMSG_SPACE(kMaxSentFds * sizeof(int))] = {};
  msghdr msg{};

  FdMessage(void* data, size_t len) : iov{data, len} {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
};
}  // namespace

Result<sys::UniqueFd> connect_unix(const std::string& path, std::string_view what, int flags) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return sys_error(ENAMETOOLONG, fmt::format("{} {}", what, path));
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  if (!path.empty() && path[0] == '@') {  // abstract, as Go's net.Dial reads it
    addr.sun_path[0] = '\0';
    --len;
  }
  sys::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags, 0));
  if (fd.get() < 0) return sys_error(errno, std::string(what));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), len) < 0)
    return sys_error(errno, fmt::format("connect {} {}", what, path));
  return fd;
}

Result<sys::UniqueFd> connect_console_socket(const std::string& path) {
  return connect_unix(path, "console socket");
}

Result<ConsoleEnds> console_ends(bool tty, const std::string& socket, bool foreground,
                                 std::string_view no_pty, std::string_view nowhere) {
  ConsoleEnds ends;
  if (!tty && !socket.empty()) return ringc_error(Errc::bad_usage, std::string(no_pty));
  if (!tty) return ends;
  if (!socket.empty()) {
    RINGC_TRY(ends.init_end, connect_console_socket(socket));
    return ends;
  }
  if (!foreground) return ringc_error(Errc::bad_usage, std::string(nowhere));
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return sys_error(errno, "socketpair");
  ends.init_end = sys::UniqueFd(sv[0]);
  ends.ringc_end = sys::UniqueFd(sv[1]);
  return ends;
}

Result<void> send_fds(int sock, std::span<const int> fds, std::string_view payload,
                      std::string_view what, int flags) {
  if (fds.size() > kMaxSentFds) return sys_error(EINVAL, std::string(what));
  std::string text(payload);
  FdMessage m(text.data(), text.size());
  if (fds.empty()) {
    m.msg.msg_control = nullptr;
    m.msg.msg_controllen = 0;
  } else {
    m.msg.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
    std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
  }
  ssize_t n;
  do n = ::sendmsg(sock, &m.msg, MSG_NOSIGNAL | flags);
  while (n < 0 && errno == EINTR);
  if (n < 0) return sys_error(errno, std::string(what));
  return outcome::success();
}

ssize_t recv_with_fds(int sock, char* buf, size_t len, std::span<int> fds, size_t* got) {
  FdMessage m(buf, len);
  ssize_t n;
  do n = ::recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  *got = 0;
  if (n < 0) return -errno;
  int all[kMaxSentFds];
  size_t k = std::min(received_fds(m.msg, all), kMaxSentFds);
  *got = std::min(k, fds.size());
  std::copy(all, all + *got, fds.begin());
  for (size_t i = *got; i < k; ++i) ::close(all[i]);
  return n;
}

ssize_t recv_with_fds(int sock, char* buf, size_t len, std::vector<int>& fds) {
  int got[kMaxSentFds];
  size_t k = 0;
  ssize_t n = recv_with_fds(sock, buf, len, got, &k);
  fds.insert(fds.end(), got, got + k);
  return n;
}

size_t received_fds(const msghdr& msg, std::span<int> out) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&msg), c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    std::memcpy(out.data(), CMSG_DATA(c), std::min(n, out.size()) * sizeof(int));
    return n;
  }
  return 0;
}

Result<void> send_pidfd(const std::string& socket_path, int pidfd) {
  if (socket_path.empty()) return outcome::success();
  RINGC_TRY(auto sock, connect_unix(socket_path, "pidfd socket"));
  return send_fd(sock.get(), pidfd, "pidfd", "send pidfd to " + socket_path);
}

Result<void> setup_console(int sock, const Process& p) {
  sys::UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (master.get() < 0) return sys_error(errno, "open /dev/ptmx in the container");
  int unlock = 0;
  if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) return sys_error(errno, "unlock pty");
  // The peer by fd, not by a /dev/pts path the container could have swapped.
  sys::UniqueFd peer(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY));
  if (peer.get() < 0) return sys_error(errno, "open pty peer");
  if (p.console_size) {
    winsize ws{};
    ws.ws_row = uint16_t(p.console_size->height);
    ws.ws_col = uint16_t(p.console_size->width);
    if (::ioctl(peer.get(), TIOCSWINSZ, &ws) < 0) return sys_error(errno, "set console size");
  }
  // runc sends the master's name as the message's payload.
  RINGC_TRY(send_fd(sock, master.get(), "/dev/ptmx", "send pty to console socket"));
  master = sys::UniqueFd();
  if (::setsid() < 0) return sys_error(errno, "setsid");
  if (::ioctl(peer.get(), TIOCSCTTY, 0) < 0) return sys_error(errno, "set controlling terminal");
  // The owner only: the group stays devpts' gid=5 (tty), as under runc.
  if (::fchown(peer.get(), p.user.uid, gid_t(-1)) < 0) return sys_error(errno, "chown pty");
  for (int fd = 0; fd < 3; ++fd)
    if (::dup2(peer.get(), fd) < 0) return sys_error(errno, "pty as stdio");
  return outcome::success();
}

Result<sys::UniqueFd> receive_fd(int sock, std::string* payload, bool wait) {
  char name[64];
  FdMessage m(name, sizeof name);
  ssize_t n = ::recvmsg(sock, &m.msg, (wait ? 0 : MSG_DONTWAIT) | MSG_CMSG_CLOEXEC);
  if (n < 0) return sys_error(errno, "receive the container's pty");
  if (payload) payload->assign(name, size_t(n));
  int fd = -1;
  if (received_fds(m.msg, {&fd, 1}) == 0)
    return ringc_error(Errc::init_failed, "the container's init sent no pty");
  return sys::UniqueFd(fd);
}

}  // namespace ringc
