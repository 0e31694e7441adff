// The ring's second backend, for where io_uring is refused (a container
// under Docker's default seccomp profile, kernel.io_uring_disabled, gVisor)
// or lacks an opcode ringc needs (kernels before 5.15): the same
// operations, completed the same way (user_data, res), from epoll,
// a timerfd and plain system calls.
//
// - Operations on a file that may not be ready (poll, read, write, send,
//   recvmsg, accept) are tried at submission when poll(2) says they would
//   not block, else armed in epoll on a dup of the fd (the dup stands for
//   the file reference io_uring holds: closing the caller's fd does not
//   cancel the operation or hand its events to a reused number).
// - File system operations (mkdir, unlink, fsync, a replaced file) are done
//   at submission, in the reactor's thread: what io_uring gives to io-wq.
// - Timeouts and linked timeouts are deadlines on one timerfd.
#pragma once

#include <linux/time_types.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ring/ring.h"

namespace ringc::ring {

class Poller {
 public:
  enum class Kind : uint8_t {
    kPoll,
    kRead,
    kWrite,
    kSend,
    kRecvmsg,
    kAccept,
    kTimeout,
    kUnlink,
    kMkdir,
    kFsync,
    kReplace,
    kCancel,
  };
  using Clock = std::chrono::steady_clock;

  // One operation as a prep_* helper describes it.
  struct Op {
    uint64_t user_data = 0;
    Kind kind = Kind::kPoll;
    int fd = -1;          // the caller's fd (a dup once armed)
    unsigned events = 0;  // kPoll: the mask; kSend/kRecvmsg: msg flags
    void* buf = nullptr;
    unsigned len = 0;
    msghdr* msg = nullptr;
    int flags = 0;                 // kUnlink: AT_REMOVEDIR; kMkdir: mode
    std::string path, path2, dir;  // kUnlink/kMkdir: path; kReplace: tmp, path, dir
    bool durable = false;          // kReplace
    uint64_t target = 0;           // kCancel
    Clock::time_point deadline = Clock::time_point::max();
  };

  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;
  ~Poller();

  [[nodiscard]] Result<void> init();

  // When ts (a relative timeout, as io_uring takes it) passes from now.
  static Clock::time_point after(const __kernel_timespec& ts) {
    return Clock::now() + std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  }

  // Queued until the next submit().
  void queue(Op op) { queued_.push_back(std::move(op)); }
  // A deadline for the operation queued just before (io_uring's linked
  // timeout): once ts passes, that operation completes with -ECANCELED.
  bool link_timeout(const __kernel_timespec& ts);
  // Completes every operation carrying user_data with -ECANCELED, queued
  // or armed, now: the caller may free their buffers right after.
  void cancel_all(uint64_t user_data);

  // Runs what was queued (done now, or armed); returns how many.
  int submit();
  // Submits, then sleeps in epoll_wait until at least one completion is
  // there or a signal interrupts.
  [[nodiscard]] Result<void> wait();
  unsigned reap(Completion* out, unsigned max);

 private:
  struct Armed {
    Op op;
    uint32_t generation = 0;
    bool live = false;
    std::multimap<Clock::time_point, uint32_t>::iterator timer;
  };

  void start(Op& op);
  // The operation done now: its result, or -EAGAIN when it would block.
  int attempt(Op& op);
  void arm(Op op);
  void finish(uint32_t index, int res);
  void on_ready(uint32_t index, uint32_t events);
  void expire(Clock::time_point now);
  void run_replace(const Op& op);
  void set_timer();
  bool cancel_one(uint64_t user_data, bool all);
  void done(uint64_t user_data, int res) { done_.push_back({user_data, res, 0}); }

  int epoll_ = -1;
  int timer_fd_ = -1;
  Clock::time_point timer_at_ = Clock::time_point::max();
  std::vector<Op> queued_;
  std::deque<Completion> done_;
  std::vector<Armed> armed_;
  std::vector<uint32_t> free_;
  std::multimap<Clock::time_point, uint32_t> timers_;
  std::unordered_multimap<uint64_t, uint32_t> by_data_;  // user_data → armed index
};

}  // namespace ringc::ring
