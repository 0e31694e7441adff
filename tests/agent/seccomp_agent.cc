// ringc-seccomp-agent SOCKET [STATE_LOG]: a small seccomp agent for the
// tests, speaking runc's protocol (docs/seccomp-notify.md). It listens on
// SOCKET; each runtime connection brings a process's state JSON (appended
// to STATE_LOG, one line each) and its listener fd. Its answers, as runc's
// sample agent gives them:
//   mkdir, mkdirat: makes PATH-METADATA instead (METADATA: the profile's
//                   listenerMetadata), in the process's root and cwd;
//   chmod, fchmod, fchmodat: ENOMEDIUM;
//   anything else: carried out as asked (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
// SIGTERM ends it; the listeners close with it, and the calls they would
// have caught then fail with ENOSYS.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Listener {
  int fd;
  std::string metadata;
};

std::string json_string_field(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":\"";
  size_t at = json.find(needle);
  if (at == std::string::npos) return {};
  std::string out;
  for (size_t i = at + needle.size(); i < json.size() && json[i] != '"'; ++i) {
    if (json[i] == '\\' && i + 1 < json.size()) ++i;
    out += json[i];
  }
  return out;
}

// One runtime connection: the state (until EOF) and the fd of its first
// message's SCM_RIGHTS.
int take_listener(int conn, std::string& state) {
  int fd = -1;
  char buf[4096];
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  for (;;) {
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
    if (n <= 0) break;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        const int* fds = reinterpret_cast<const int*>(CMSG_DATA(c));
        for (size_t k = 0; k < count; ++k) {
          if (fd < 0)
            fd = fds[k];
          else
            ::close(fds[k]);
        }
      }
    state.append(buf, size_t(n));
  }
  return fd;
}

// The path argument of the caught call, read from the process's memory.
bool read_path(pid_t pid, uint64_t addr, std::string& out) {
  char path[4096];
  int mem = ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
  if (mem < 0) return false;
  ssize_t n = ::pread(mem, path, sizeof path - 1, off_t(addr));
  ::close(mem);
  if (n <= 0) return false;
  path[n] = '\0';
  out = path;
  return true;
}

// Answers one notification on `l`; false: the listener is done.
bool answer(const Listener& l, seccomp_notif* req, seccomp_notif_resp* resp, size_t req_size,
            size_t resp_size) {
  std::memset(req, 0, req_size);
  if (::ioctl(l.fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) return errno == EINTR || errno == ENOENT;
  std::memset(resp, 0, resp_size);
  resp->id = req->id;
  int nr = req->data.nr;
  if (nr == __NR_chmod || nr == __NR_fchmod || nr == __NR_fchmodat) {
    resp->error = -ENOMEDIUM;
  } else if (nr == __NR_mkdir || (nr == __NR_mkdirat && int(req->data.args[0]) == AT_FDCWD)) {
    std::string path;
    bool got = read_path(pid_t(req->pid), req->data.args[nr == __NR_mkdir ? 0 : 1], path);
    // The read is good only if the call is still waiting (not a reused pid).
    if (!got || ::ioctl(l.fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0) {
      resp->error = -EIO;
    } else {
      std::string where =
          "/proc/" + std::to_string(req->pid) + (path[0] == '/' ? "/root" : "/cwd/");
      std::string made = where + path + (l.metadata.empty() ? "" : "-" + l.metadata);
      mode_t mode = mode_t(req->data.args[nr == __NR_mkdir ? 1 : 2]);
      resp->error = ::mkdir(made.c_str(), mode) < 0 ? -errno : 0;
    }
  } else {
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  }
  if (::ioctl(l.fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: ringc-seccomp-agent SOCKET [STATE_LOG]\n");
    return 2;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
  ::unlink(argv[1]);
  int srv = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (srv < 0 || ::bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 ||
      ::listen(srv, 64) < 0) {
    std::perror(argv[1]);
    return 1;
  }
  std::printf("listening\n");  // the tests wait for this line
  std::fflush(stdout);
  seccomp_notif_sizes sizes{};
  if (::syscall(__NR_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0) {
    std::perror("SECCOMP_GET_NOTIF_SIZES");
    return 1;
  }
  size_t req_size = std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif));
  size_t resp_size = std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp));
  std::vector<char> req_buf(req_size), resp_buf(resp_size);
  auto* req = reinterpret_cast<seccomp_notif*>(req_buf.data());
  auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf.data());

  std::vector<Listener> listeners;
  for (;;) {
    std::vector<pollfd> pfds{{srv, POLLIN, 0}};
    for (auto& l : listeners) pfds.push_back({l.fd, POLLIN, 0});
    if (::poll(pfds.data(), pfds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("poll");
      return 1;
    }
    // Served in reverse so that a finished listener's removal keeps the
    // indexes of the ones still to serve.
    for (size_t k = pfds.size() - 1; k-- > 0;) {
      short ev = pfds[k + 1].revents;
      bool keep = true;
      if (ev & POLLIN) keep = answer(listeners[k], req, resp, req_size, resp_size);
      if (!keep || (ev & (POLLHUP | POLLERR | POLLNVAL) && !(ev & POLLIN))) {
        ::close(listeners[k].fd);
        listeners.erase(listeners.begin() + long(k));
      }
    }
    // A new listener after those polled: it is polled from the next round.
    if (pfds[0].revents & POLLIN) {
      int conn = ::accept4(srv, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn >= 0) {
        std::string state;
        int fd = take_listener(conn, state);
        ::close(conn);
        if (argc > 2) {
          FILE* log = std::fopen(argv[2], "a");
          if (log) {
            std::fprintf(log, "%s\n", state.c_str());
            std::fclose(log);
          }
        }
        if (fd >= 0) listeners.push_back({fd, json_string_field(state, "metadata")});
      }
    }
  }
}
