// Raw syscalls that glibc 2.36 does not wrap. Each returns -errno on
// failure, never sets policy (liburing's __sys_* style).
#pragma once

#include <linux/capability.h>
#include <linux/filter.h>
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
// Whether this thread has cap in its effective set (capget).
bool has_effective_cap(int cap);
int close_range(unsigned first, unsigned last);
// Another process's fd, duplicated into ours (close-on-exec).
int pidfd_getfd(int pidfd, int fd);
// 1: a and b of this process are the same open file description; 0: not.
int same_file(int a, int b);
// openat2 with RESOLVE_* flags; the fd or -errno.
int openat2(int dirfd, const char* path, int flags, uint64_t resolve);
int seccomp_set_filter(unsigned flags, const sock_fprog* prog);
// keyctl(2): the key's serial (or 0) or -errno.
long keyctl(int op, unsigned long arg2, unsigned long arg3 = 0);
// The kernel's struct sched_attr (SCHED_ATTR_SIZE_VER0).
struct SchedAttr {
  uint32_t size = sizeof(SchedAttr), policy = 0;
  uint64_t flags = 0;
  int32_t nice = 0;
  uint32_t priority = 0;
  uint64_t runtime = 0, deadline = 0, period = 0;
};
int sched_setattr_self(const SchedAttr& attr);
int ioprio_set_self(int value);
// setgroups, setresgid and setresuid of the calling thread alone (0 or
// -errno): the system calls without glibc's broadcast to every thread it
// knows of. Each process of a container has one thread; the glibc of a
// shared clone (spawn/shared_clone.h) takes the engine's threads for its
// own and would signal each of them, holding a lock the inits share.
int setgroups_thread(size_t n, const gid_t* groups);
int setresgid_thread(gid_t gid);  // real, effective and saved: gid
int setresuid_thread(uid_t uid);
// capset(2) for this thread, version 3: the low and high 32 capabilities.
int capset(const __user_cap_data_struct (&data)[2]);
// bpf(2): its result (an fd for BPF_PROG_LOAD) or -errno.
int bpf(int cmd, void* attr, unsigned size);
// A daemon holds fds for thousands of clients and containers: its soft
// RLIMIT_NOFILE goes up to the hard limit (returned: the new soft limit).
// What it starts gets the soft limit it was given back, as Go's runtime
// gives runc's children theirs: restore_fd_limit, in the child.
rlim_t raise_fd_limit();
void restore_fd_limit();

// Owns a file descriptor: closed when it goes out of scope.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
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
  // Closes the fd held, then holds fd.
  void reset(int fd = -1);
  // Lets go of the fd without closing it.
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace ringc::sys
