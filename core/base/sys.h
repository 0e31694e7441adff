// Raw syscalls that glibc 2.36 does not wrap. Each returns -errno on
// failure, never sets policy (liburing's __sys_* style).
#pragma once

#include <linux/sched.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <csignal>
#include <cstdint>

namespace ringc::sys {

// clone3 that returns in the child like fork (no CLONE_VM, no new stack).
pid_t clone3(clone_args* args);
// fork() that also returns a pidfd on the child (clone3 CLONE_PIDFD):
// returns the pid in the parent, 0 in the child, -errno on failure.
pid_t fork_pidfd(int* pidfd);
int pidfd_open(pid_t pid);
int pidfd_send_signal(int pidfd, int sig);
int pivot_root(const char* new_root, const char* put_old);
// Reaps an exited child behind pidfd without blocking; 0 if not yet exited.
// keep_zombie: the status is read and the child left to reap().
int waitid_nohang(int pidfd, siginfo_t* info, bool keep_zombie = false);
// Reaps our child pid if it has exited (WNOHANG).
void reap(pid_t pid);
int close_range_cloexec(unsigned first);
// A daemon holds fds for thousands of clients and containers: its soft
// RLIMIT_NOFILE goes up to the hard limit (returned: the new soft limit).
// What it starts gets the soft limit it was given back, as Go's runtime
// gives runc's children theirs: restore_fd_limit, in the child.
rlim_t raise_fd_limit();
void restore_fd_limit();

// Owns a file descriptor: closed when it goes out of scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  void reset();

 private:
  int fd_;
};

}  // namespace ringc::sys
