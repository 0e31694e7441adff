#include "core/supervisor/server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "ring/ops.h"
#include "ring/token.h"

namespace ringc {

Server::~Server() {
  for (auto& c : clients_)
    if (c.used && c.fd >= 0) ::close(c.fd);
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(opts_.path.c_str());
  }
  if (lock_fd_ >= 0) {
    ::unlink((opts_.path + ".lock").c_str());
    ::close(lock_fd_);
  }
}

// A lock rather than a probe of the socket: one that still answers proves
// nothing (a killed daemon's ring holds its listening socket open for a
// moment after the process is gone).
Result<int> lock_socket(const std::string& path) {
  std::string lock = path + ".lock";
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error(errno, "open " + lock);
  if (::flock(fd, LOCK_EX | LOCK_NB) < 0) {
    int e = errno;
    ::close(fd);
    if (e == EWOULDBLOCK) return ringc_error(Errc::exists, "a daemon is already serving " + path);
    return sys_error(e, "lock " + lock);
  }
  return fd;
}

Result<void> Server::listen(ServerOptions o) {
  opts_ = std::move(o);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (opts_.path.empty() || opts_.path.size() >= sizeof addr.sun_path)
    return ringc_error(Errc::bad_usage, fmt::format("--socket: a path of 1 to {} bytes, got \"{}\"",
                                                    sizeof addr.sun_path - 1, opts_.path));
  std::memcpy(addr.sun_path, opts_.path.data(), opts_.path.size());
  if (!opts_.locked) {
    RINGC_TRY(lock_fd_, lock_socket(opts_.path));
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return sys_error(errno, "socket");
  ::unlink(opts_.path.c_str());
  mode_t old = ::umask(0177);  // the socket file is born 0600
  int r = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (r < 0) return sys_error(errno, "bind " + opts_.path);
  if (::chmod(opts_.path.c_str(), 0600) < 0 || ::listen(listen_fd_, 512) < 0)
    return sys_error(errno, "listen " + opts_.path);
  accept_next();
  return outcome::success();
}

uint64_t Server::token(uint32_t i, Tag t) const {
  return ring::Token{i, clients_[i].generation, t}.pack();
}

void Server::accept_next() {
  ring::prep_accept(ring_, ring::Token{0, 0, kAccept}.pack(), listen_fd_);
}

bool Server::peer_allowed(int fd) const {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return false;
  return cred.uid == 0 || std::find(opts_.allowed_uids.begin(), opts_.allowed_uids.end(),
                                    cred.uid) != opts_.allowed_uids.end();
}

void Server::handle(const ring::Completion& c) {
  auto tok = ring::Token::unpack(c.user_data);
  if (tok.tag == kAccept) {
    accept_next();
    if (c.res < 0) return;
    int fd = c.res;
    uint32_t i;
    if (!free_.empty()) {
      i = free_.back();
      free_.pop_back();
    } else {
      i = uint32_t(clients_.size());
      clients_.emplace_back();
    }
    Client& cl = clients_[i];
    cl.generation = uint16_t(cl.generation + 1);
    cl.used = true;
    cl.fd = fd;
    if (!peer_allowed(fd)) {
      send(i, "{\"ok\":false,\"error\":\"permission denied: peer uid not allowed\"}\n");
      finish(i);
      return;
    }
    read_next(i);
    return;
  }
  if (tok.slot >= clients_.size()) return;
  Client& cl = clients_[tok.slot];
  if (!cl.used || cl.generation != tok.generation) return;
  --cl.pending;
  if (tok.tag == kRead) {
    if (c.res > 0 && !keep_fds(cl)) {
      send(tok.slot,
           cl.msg.msg_flags & MSG_CTRUNC
               ? std::string("{\"ok\":false,\"error\":\"the fds sent were lost: the "
                             "daemon is at its open-file limit\"}\n")
               : fmt::format("{{\"ok\":false,\"error\":\"over {} fds sent\"}}\n", opts_.max_fds));
      finish(tok.slot);
    } else if (c.res <= 0 || cl.closing) {
      finish(tok.slot);
    } else {
      cl.in.append(cl.buf, size_t(c.res));
      size_t start = 0, nl;
      ++cl.pending;  // holds the client (and the line views) through on_line
      bool too_long = false;
      while (!cl.closing && (nl = cl.in.find('\n', start)) != std::string::npos) {
        std::string_view line(cl.in.data() + start, nl - start);
        start = nl + 1;
        if (line.size() > opts_.max_line) {  // refused unread, as one without its newline
          too_long = true;
          break;
        }
        if (!line.empty() && on_line) on_line(tok.slot, line);
      }
      --cl.pending;
      cl.in.erase(0, start);
      if (too_long || cl.in.size() > opts_.max_line) {
        send(tok.slot,
             fmt::format("{{\"ok\":false,\"error\":\"request over {} bytes\"}}\n", opts_.max_line));
        finish(tok.slot);
      } else if (!cl.closing) {
        read_next(tok.slot);
      }
    }
  } else if (tok.tag == kWrite) {
    cl.writing = false;
    if (c.res <= 0) {
      drop(tok.slot);
    } else {
      cl.sent += size_t(c.res);
      write_next(tok.slot);
    }
  }
  maybe_free(tok.slot);
}

// Reads are recvmsg: a request may come with fds (SCM_RIGHTS).
void Server::read_next(uint32_t i) {
  Client& cl = clients_[i];
  ++cl.pending;
  cl.iov = {cl.buf, sizeof cl.buf};
  cl.msg = msghdr{};
  cl.msg.msg_iov = &cl.iov;
  cl.msg.msg_iovlen = 1;
  cl.msg.msg_control = cl.control;
  cl.msg.msg_controllen = sizeof cl.control;
  ring::prep_recvmsg(ring_, token(i, kRead), cl.fd, &cl.msg, MSG_CMSG_CLOEXEC);
}

// Queues the fds a read brought; false when some were lost (a truncated
// message) or the client holds too many untaken.
bool Server::keep_fds(Client& cl) {
  int got[kMaxSentFds];
  size_t n = std::min(received_fds(cl.msg, got), kMaxSentFds);
  for (size_t k = 0; k < n; ++k) cl.fds.emplace_back(got[k]);
  return !(cl.msg.msg_flags & MSG_CTRUNC) && cl.fds.size() <= opts_.max_fds;
}

std::vector<sys::UniqueFd> Server::take_fds(uint32_t client, size_t n) {
  std::vector<sys::UniqueFd> out;
  if (client >= clients_.size()) return out;
  auto& q = clients_[client].fds;
  while (out.size() < n && !q.empty()) {
    out.push_back(std::move(q.front()));
    q.pop_front();
  }
  return out;
}

void Server::write_next(uint32_t i) {
  Client& cl = clients_[i];
  if (cl.writing || cl.fd < 0) return;
  if (cl.sent == cl.sending.size()) {
    cl.sending.clear();
    cl.sent = 0;
    std::swap(cl.sending, cl.queued);
  }
  if (cl.sent < cl.sending.size()) {
    cl.writing = true;
    ++cl.pending;
    size_t n = std::min<size_t>(cl.sending.size() - cl.sent, 1 << 20);
    ring::prep_send(ring_, token(i, kWrite), cl.fd, cl.sending.data() + cl.sent, unsigned(n));
  } else if (cl.closing) {
    ::shutdown(cl.fd, SHUT_RDWR);  // wakes a pending read
  }
}

bool Server::send(uint32_t client, std::string_view text) {
  if (!alive(client)) return false;
  Client& cl = clients_[client];
  if (cl.sending.size() - cl.sent + cl.queued.size() + text.size() > opts_.max_queued) {
    // A client that does not read its replies loses them, not the others.
    drop(client);
    return false;
  }
  cl.queued.append(text);
  write_next(client);
  return true;
}

bool Server::alive(uint32_t client) const {
  return client < clients_.size() && clients_[client].used && clients_[client].fd >= 0;
}

void Server::finish(uint32_t i) {
  Client& cl = clients_[i];
  if (!cl.used || cl.closing) return;
  cl.closing = true;
  if (on_close) on_close(i);
  write_next(i);
  maybe_free(i);
}

void Server::drop(uint32_t i) {
  Client& cl = clients_[i];
  cl.queued.clear();
  if (!cl.writing) {
    cl.sending.clear();
    cl.sent = 0;
  }
  if (!cl.closing) {
    cl.closing = true;
    if (on_close) on_close(i);
  }
  if (cl.fd >= 0) ::shutdown(cl.fd, SHUT_RDWR);
  maybe_free(i);
}

void Server::maybe_free(uint32_t i) {
  Client& cl = clients_[i];
  if (!cl.used || !cl.closing || cl.pending || cl.writing) return;
  if (cl.sent < cl.sending.size() || !cl.queued.empty()) return;
  if (cl.fd >= 0) ::close(cl.fd);
  uint16_t g = cl.generation;
  cl = Client{};
  cl.generation = g;
  free_.push_back(i);
}

size_t Server::clients() const {
  size_t n = 0;
  for (auto& c : clients_) n += c.used;
  return n;
}

}  // namespace ringc
