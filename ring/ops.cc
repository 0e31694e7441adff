#include "ring/ops.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "ring/poller.h"

namespace ringc::ring {

namespace {
// liburing 2.3 has no io_uring_prep_waitid; the SQE layout of opcode 50:
// fd = pidfd, len = P_PIDFD, file_index = options, addr2 = siginfo_t*.
void prep_waitid_raw(io_uring_sqe* s, idtype_t type, int id, siginfo_t* info, unsigned options) {
  std::memset(s, 0, sizeof(*s));
  s->opcode = kOpWaitid;
  s->fd = id;
  s->len = type;
  s->file_index = options;
  s->addr2 = reinterpret_cast<uint64_t>(info);
}

using Kind = Poller::Kind;

// Under the epoll backend an operation is queued there instead of in an SQE.
bool queue(Ring& r, Poller::Op op) {
  r.poller()->queue(std::move(op));
  return true;
}

Poller::Op op(uint64_t user_data, Kind kind, int fd = -1) {
  Poller::Op o;
  o.user_data = user_data;
  o.kind = kind;
  o.fd = fd;
  return o;
}
}  // namespace

bool prep_exit_wait(Ring& r, uint64_t user_data, int pidfd, bool child, siginfo_t* info,
                    bool keep_zombie) {
  if (r.poller()) return prep_poll(r, user_data, pidfd, POLLIN);  // features().waitid is false
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  if (child && r.features().waitid) {
    prep_waitid_raw(s, idtype_t(P_PIDFD), pidfd, info, WEXITED | (keep_zombie ? WNOWAIT : 0));
  } else {
    io_uring_prep_poll_add(s, pidfd, POLLIN);
  }
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_child_exit_wait(Ring& r, uint64_t user_data, pid_t pid, siginfo_t* info,
                          bool keep_zombie) {
  if (r.poller()) return false;  // needs features().waitid, which epoll never has
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  prep_waitid_raw(s, P_PID, pid, info, WEXITED | (keep_zombie ? WNOWAIT : 0));
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_poll_in(Ring& r, uint64_t user_data, int fd) {
  return prep_poll(r, user_data, fd, POLLIN);
}

bool prep_poll(Ring& r, uint64_t user_data, int fd, unsigned events) {
  if (r.poller()) {
    Poller::Op o = op(user_data, Kind::kPoll, fd);
    o.events = events;
    return queue(r, std::move(o));
  }
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_poll_add(s, fd, events);
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_read(Ring& r, uint64_t user_data, int fd, void* buf, unsigned len) {
  if (r.poller()) {
    Poller::Op o = op(user_data, Kind::kRead, fd);
    o.buf = buf;
    o.len = len;
    return queue(r, std::move(o));
  }
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_read(s, fd, buf, len, uint64_t(-1));
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_write(Ring& r, uint64_t user_data, int fd, const void* buf, unsigned len) {
  if (r.poller()) {
    Poller::Op o = op(user_data, Kind::kWrite, fd);
    o.buf = const_cast<void*>(buf);
    o.len = len;
    return queue(r, std::move(o));
  }
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_write(s, fd, buf, len, uint64_t(-1));
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_send(Ring& r, uint64_t user_data, int fd, const void* buf, unsigned len) {
  if (r.poller()) {
    Poller::Op o = op(user_data, Kind::kSend, fd);
    o.buf = const_cast<void*>(buf);
    o.len = len;
    return queue(r, std::move(o));
  }
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_send(s, fd, buf, len, MSG_NOSIGNAL);
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_unlink(Ring& r, uint64_t user_data, const char* path, int flags, bool hard_link) {
  if (r.poller()) {  // done in order at submission: the link holds
    Poller::Op o = op(user_data, Kind::kUnlink);
    o.path = path;
    o.flags = flags;
    return queue(r, std::move(o));
  }
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_unlinkat(s, AT_FDCWD, path, flags);
  if (hard_link) s->flags |= IOSQE_IO_HARDLINK;
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_mkdir(Ring& r, uint64_t user_data, const char* path, mode_t mode) {
  if (r.poller()) {
    Poller::Op o = op(user_data, Kind::kMkdir);
    o.path = path;
    o.flags = int(mode);
    return queue(r, std::move(o));
  }
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_mkdirat(s, AT_FDCWD, path, mode);
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_fsync(Ring& r, uint64_t user_data, int fd) {
  if (r.poller()) return queue(r, op(user_data, Kind::kFsync, fd));
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_fsync(s, fd, 0);
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

unsigned prep_replace_file(Ring& r, uint64_t user_data, unsigned file, const char* tmp,
                           const char* path, const char* dir, const void* buf, unsigned len,
                           bool durable) {
  const unsigned n = durable ? 8 : 4;
  if (r.poller()) {
    Poller::Op o = op(user_data, Kind::kReplace);
    o.path = tmp;
    o.path2 = path;
    o.dir = dir ? dir : "";
    o.buf = const_cast<void*>(buf);
    o.len = len;
    o.durable = durable;
    queue(r, std::move(o));
    return n;
  }
  if (!r.reserve(n)) return 0;
  auto next = [&](bool linked) {
    io_uring_sqe* s = r.sqe();  // reserved: never null
    return [s, user_data, linked](auto prep) {
      prep(s);
      io_uring_sqe_set_data64(s, user_data);
      if (linked) s->flags |= IOSQE_IO_LINK;
    };
  };
  next(true)([&](io_uring_sqe* s) {
    io_uring_prep_openat_direct(s, AT_FDCWD, tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644, file);
  });
  next(true)([&](io_uring_sqe* s) {
    io_uring_prep_write(s, int(file), buf, len, 0);
    s->flags |= IOSQE_FIXED_FILE;
  });
  if (durable)
    next(true)([&](io_uring_sqe* s) {
      io_uring_prep_fsync(s, int(file), 0);
      s->flags |= IOSQE_FIXED_FILE;
    });
  next(true)([&](io_uring_sqe* s) { io_uring_prep_close_direct(s, file); });
  next(durable)(
      [&](io_uring_sqe* s) { io_uring_prep_renameat(s, AT_FDCWD, tmp, AT_FDCWD, path, 0); });
  if (durable) {
    next(true)([&](io_uring_sqe* s) {
      io_uring_prep_openat_direct(s, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY, 0, file);
    });
    next(true)([&](io_uring_sqe* s) {
      io_uring_prep_fsync(s, int(file), 0);
      s->flags |= IOSQE_FIXED_FILE;
    });
    next(false)([&](io_uring_sqe* s) { io_uring_prep_close_direct(s, file); });
  }
  return n;
}

bool prep_recvmsg(Ring& r, uint64_t user_data, int fd, msghdr* msg, unsigned flags) {
  if (r.poller()) {
    Poller::Op o = op(user_data, Kind::kRecvmsg, fd);
    o.msg = msg;
    o.events = flags;
    return queue(r, std::move(o));
  }
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_recvmsg(s, fd, msg, flags);
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_accept(Ring& r, uint64_t user_data, int listen_fd) {
  if (r.poller()) return queue(r, op(user_data, Kind::kAccept, listen_fd));
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_accept(s, listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_timeout(Ring& r, uint64_t user_data, __kernel_timespec* ts) {
  if (r.poller()) {
    Poller::Op o = op(user_data, Kind::kTimeout);
    o.deadline = Poller::after(*ts);
    return queue(r, std::move(o));
  }
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_timeout(s, ts, 0, 0);
  io_uring_sqe_set_data64(s, user_data);
  return true;
}

bool prep_cancel(Ring& r, uint64_t target_user_data) {
  if (r.poller()) {
    Poller::Op o = op(kIgnored, Kind::kCancel);
    o.target = target_user_data;
    return queue(r, std::move(o));
  }
  io_uring_sqe* s = r.sqe();
  if (!s) return false;
  io_uring_prep_cancel64(s, target_user_data, 0);
  io_uring_sqe_set_data64(s, kIgnored);
  return true;
}

bool cancel_now(Ring& r, uint64_t user_data) {
  if (r.poller()) {
    r.poller()->cancel_all(user_data);
    return true;
  }
  io_uring_sync_cancel_reg reg{};
  reg.addr = user_data;
  reg.flags = IORING_ASYNC_CANCEL_ALL;
  reg.fd = -1;
  reg.timeout.tv_sec = -1;  // no timeout: wait until each target is gone
  reg.timeout.tv_nsec = -1;
  int e = io_uring_register_sync_cancel(r.raw(), &reg);
  return e >= 0 || e == -ENOENT;  // with CANCEL_ALL: how many it cancelled
}

bool link_timeout(Ring& r, __kernel_timespec* ts) {
  if (r.poller()) return r.poller()->link_timeout(*ts);
  // The previous SQE must still be the ring's tail: take ours right after it.
  io_uring_sqe* prev = &r.raw()->sq.sqes[(r.raw()->sq.sqe_tail - 1) & *r.raw()->sq.kring_mask];
  io_uring_sqe* s = io_uring_get_sqe(r.raw());
  if (!s) return false;  // the caller did not reserve(2)
  prev->flags |= IOSQE_IO_LINK;
  io_uring_prep_link_timeout(s, ts, 0);
  io_uring_sqe_set_data64(s, kIgnored);
  return true;
}

__kernel_timespec to_timespec(std::chrono::nanoseconds d) {
  return {static_cast<long long>(d.count() / 1'000'000'000),
          static_cast<long long>(d.count() % 1'000'000'000)};
}

}  // namespace ringc::ring
