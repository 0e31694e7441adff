#include "ring/poller.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace ringc::ring {

namespace {
constexpr uint64_t kTimerData = ~0ULL;

int neg(long r) {
  return r < 0 ? -errno : int(r);
}

unsigned wanted(const Poller::Op& op) {
  using K = Poller::Kind;
  switch (op.kind) {
    case K::kPoll:
      return op.events;
    case K::kWrite:
    case K::kSend:
      return POLLOUT;
    default:
      return POLLIN;
  }
}

// A write that poll(2) said would not block still blocks on a pipe or a
// terminal if it is larger than the room there; PIPE_BUF always fits.
unsigned write_size(int fd, unsigned len) {
  struct stat st {};
  if (len <= PIPE_BUF || (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode))) return len;
  return PIPE_BUF;
}

// The system call behind an operation, in a form that does not block
// where the file allows it; -EAGAIN when it would.
int perform(Poller::Op& op) {
  using K = Poller::Kind;
  switch (op.kind) {
    case K::kRead:
      return neg(::read(op.fd, op.buf, op.len));
    case K::kWrite:
      return neg(::write(op.fd, op.buf, write_size(op.fd, op.len)));
    case K::kSend:
      return neg(::send(op.fd, op.buf, op.len, int(op.events) | MSG_DONTWAIT | MSG_NOSIGNAL));
    case K::kRecvmsg:
      return neg(::recvmsg(op.fd, op.msg, int(op.events) | MSG_DONTWAIT));
    case K::kAccept:
      return neg(::accept4(op.fd, nullptr, nullptr, SOCK_CLOEXEC));
    default:
      return -EINVAL;
  }
}

timespec to_abs(Poller::Clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return {time_t(ns / 1'000'000'000), long(ns % 1'000'000'000)};
}
}  // namespace

Poller::~Poller() {
  for (Armed& a : armed_)
    if (a.live && a.op.fd >= 0) ::close(a.op.fd);
  if (timer_fd_ >= 0) ::close(timer_fd_);
  if (epoll_ >= 0) ::close(epoll_);
}

Result<void> Poller::init() {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) return std::error_code(errno, std::generic_category());
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (timer_fd_ < 0) return std::error_code(errno, std::generic_category());
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kTimerData;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, timer_fd_, &ev) < 0)
    return std::error_code(errno, std::generic_category());
  return outcome::success();
}

bool Poller::link_timeout(const __kernel_timespec& ts) {
  if (queued_.empty()) return false;
  queued_.back().deadline = after(ts);
  return true;
}

int Poller::submit() {
  std::vector<Op> batch;
  batch.swap(queued_);
  for (Op& op : batch) start(op);
  return int(batch.size());
}

void Poller::start(Op& op) {
  switch (op.kind) {
    case Kind::kUnlink:
      return done(op.user_data, neg(::unlinkat(AT_FDCWD, op.path.c_str(), op.flags)));
    case Kind::kMkdir:
      return done(op.user_data, neg(::mkdirat(AT_FDCWD, op.path.c_str(), mode_t(op.flags))));
    case Kind::kFsync:
      return done(op.user_data, neg(::fsync(op.fd)));
    case Kind::kReplace:
      return run_replace(op);
    case Kind::kCancel:
      return done(op.user_data, cancel_one(op.target, false) ? 0 : -ENOENT);
    case Kind::kTimeout:
      return arm(std::move(op));
    default:
      break;
  }
  int res = attempt(op);
  if (res == -EAGAIN)
    arm(std::move(op));
  else
    done(op.user_data, res);
}

int Poller::attempt(Op& op) {
  if (op.kind == Kind::kSend || op.kind == Kind::kRecvmsg) {
    int r = perform(op);
    if (r != -ENOTSOCK) return r;
  }
  pollfd p{op.fd, short(wanted(op)), 0};
  int n = ::poll(&p, 1, 0);
  if (n < 0) return -errno;
  if (p.revents & POLLNVAL) return -EBADF;
  if (n == 0) return -EAGAIN;
  if (op.kind == Kind::kPoll) return p.revents & short(op.events | POLLERR | POLLHUP);
  return perform(op);
}

void Poller::arm(Op op) {
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = uint32_t(armed_.size());
    armed_.emplace_back();
  }
  Armed& a = armed_[index];
  a.generation++;
  if (op.fd >= 0) {
    // The dup holds the file as io_uring's reference would.
    int dup = ::fcntl(op.fd, F_DUPFD_CLOEXEC, 3);
    epoll_event ev{};
    ev.events = wanted(op);
    ev.data.u64 = uint64_t(a.generation) << 32 | index;
    if (dup < 0 || ::epoll_ctl(epoll_, EPOLL_CTL_ADD, dup, &ev) < 0) {
      int e = errno;
      if (dup >= 0) ::close(dup);
      free_.push_back(index);
      return done(op.user_data, -e);
    }
    op.fd = dup;
  }
  a.op = std::move(op);
  a.live = true;
  by_data_.emplace(a.op.user_data, index);
  a.timer = a.op.deadline == Clock::time_point::max() ? timers_.end()
                                                      : timers_.emplace(a.op.deadline, index);
}

void Poller::finish(uint32_t index, int res) {
  Armed& a = armed_[index];
  if (a.op.fd >= 0) {
    ::epoll_ctl(epoll_, EPOLL_CTL_DEL, a.op.fd, nullptr);
    ::close(a.op.fd);
  }
  if (a.timer != timers_.end()) timers_.erase(a.timer);
  auto [first, last] = by_data_.equal_range(a.op.user_data);
  for (auto it = first; it != last; ++it)
    if (it->second == index) {
      by_data_.erase(it);
      break;
    }
  a.timer = timers_.end();
  a.live = false;
  done(a.op.user_data, res);
  a.op = Op{};
  free_.push_back(index);
}

void Poller::on_ready(uint32_t index, uint32_t events) {
  Op& op = armed_[index].op;
  if (op.kind == Kind::kPoll) return finish(index, int(events & (op.events | EPOLLERR | EPOLLHUP)));
  int res = perform(op);
  if (res != -EAGAIN) finish(index, res);
}

void Poller::expire(Clock::time_point now) {
  while (!timers_.empty() && timers_.begin()->first <= now) {
    uint32_t index = timers_.begin()->second;
    finish(index, armed_[index].op.kind == Kind::kTimeout ? -ETIME : -ECANCELED);
  }
}

void Poller::set_timer() {
  Clock::time_point at = timers_.empty() ? Clock::time_point::max() : timers_.begin()->first;
  if (at == timer_at_) return;
  itimerspec its{};
  if (at != Clock::time_point::max()) its.it_value = to_abs(at);
  ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr);
  timer_at_ = at;
}

bool Poller::cancel_one(uint64_t user_data, bool all) {
  bool found = false;
  for (auto it = by_data_.find(user_data); it != by_data_.end(); it = by_data_.find(user_data)) {
    finish(it->second, -ECANCELED);  // erases it
    found = true;
    if (!all) break;
  }
  return found;
}

void Poller::cancel_all(uint64_t user_data) {
  auto it = std::remove_if(queued_.begin(), queued_.end(), [&](const Op& op) {
    if (op.user_data != user_data) return false;
    done(user_data, -ECANCELED);
    return true;
  });
  queued_.erase(it, queued_.end());
  (void)cancel_one(user_data, true);
}

void Poller::run_replace(const Op& op) {
  // io_uring's chain, step by step: open, write, [fsync], close, rename,
  // [open dir, fsync, close]; a failed step cancels the rest.
  int err = 0;
  auto step = [&](auto fn) {
    int r = err ? -ECANCELED : fn();
    if (r < 0 && !err) err = r;
    done(op.user_data, r);
  };
  int fd = -1;
  step([&] {
    fd = ::open(op.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return fd < 0 ? -errno : 0;
  });
  step([&] {
    const char* p = static_cast<const char*>(op.buf);
    for (unsigned left = op.len; left > 0;) {
      ssize_t w = ::write(fd, p, left);
      if (w < 0) return -errno;
      p += w;
      left -= unsigned(w);
    }
    return int(op.len);
  });
  if (op.durable) step([&] { return neg(::fsync(fd)); });
  if (fd >= 0) ::close(fd);
  step([] { return 0; });  // the close
  step([&] { return neg(::rename(op.path.c_str(), op.path2.c_str())); });
  if (!op.durable) return;
  int dir = -1;
  step([&] {
    dir = ::open(op.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    return dir < 0 ? -errno : 0;
  });
  step([&] { return neg(::fsync(dir)); });
  if (dir >= 0) ::close(dir);
  step([] { return 0; });
}

Result<void> Poller::wait() {
  submit();
  for (;;) {
    expire(Clock::now());
    if (!done_.empty()) return outcome::success();
    set_timer();
    epoll_event ev[64];
    int n = ::epoll_wait(epoll_, ev, 64, -1);
    if (n < 0) {
      if (errno == EINTR) return outcome::success();
      return std::error_code(errno, std::generic_category());
    }
    for (int k = 0; k < n; ++k) {
      if (ev[k].data.u64 == kTimerData) {
        uint64_t ticks;
        (void)!::read(timer_fd_, &ticks, sizeof ticks);
        timer_at_ = Clock::time_point::max();  // one-shot: spent
        continue;
      }
      uint32_t index = uint32_t(ev[k].data.u64);
      uint32_t generation = uint32_t(ev[k].data.u64 >> 32);
      // A deadline or a cancel earlier in this batch may have finished it.
      if (index < armed_.size() && armed_[index].live && armed_[index].generation == generation)
        on_ready(index, ev[k].events);
    }
  }
}

unsigned Poller::reap(Completion* out, unsigned max) {
  unsigned n = 0;
  while (n < max && !done_.empty()) {
    out[n++] = done_.front();
    done_.pop_front();
  }
  return n;
}

}  // namespace ringc::ring
