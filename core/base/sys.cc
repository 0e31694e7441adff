#include "core/base/sys.h"

#include "core/base/compat.h"

#include <linux/kcmp.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace ringc::sys {

namespace {
long ret(long r) {
  return r < 0 ? -errno : r;
}

// Where a call is missing (ENOSYS) or refused by a seccomp profile
// (EPERM), core/base/compat.h stands in for it.
bool refused(long r) {
  return r == -ENOSYS || r == -EPERM;
}
}  // namespace

pid_t clone3(clone_args* args) {
  static bool missing = false;  // ENOSYS once: clone from then on
  if (!missing) {
    long r = ret(syscall(SYS_clone3, args, sizeof(*args)));
    if (!refused(r)) return pid_t(r);
    missing = r == -ENOSYS;
  }
  return compat::clone(args);
}
pid_t fork_pidfd(int* pidfd) {
  clone_args a{};
  a.flags = CLONE_PIDFD;
  a.pidfd = reinterpret_cast<uint64_t>(pidfd);
  a.exit_signal = SIGCHLD;
  return clone3(&a);
}

int pidfd_open(pid_t pid) {
  return int(ret(syscall(SYS_pidfd_open, pid, 0)));
}
int pidfd_send_signal(int pidfd, int sig) {
  return int(ret(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0)));
}
int setgroups_thread(size_t n, const gid_t* groups) {
  return int(ret(syscall(SYS_setgroups, n, groups)));
}

int setresgid_thread(gid_t gid) {
  return int(ret(syscall(SYS_setresgid, gid, gid, gid)));
}

int setresuid_thread(uid_t uid) {
  return int(ret(syscall(SYS_setresuid, uid, uid, uid)));
}

int pivot_root(const char* new_root, const char* put_old) {
  return int(ret(syscall(SYS_pivot_root, new_root, put_old)));
}
int waitid_nohang(int pidfd, siginfo_t* info, bool keep_zombie) {
  info->si_pid = 0;
  return int(ret(::waitid(idtype_t(P_PIDFD), id_t(pidfd), info,
                          WEXITED | WNOHANG | (keep_zombie ? WNOWAIT : 0))));
}
void reap(pid_t pid) {
  siginfo_t info{};
  (void)::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG);
}
int close_range_cloexec(unsigned first) {
  long r = ret(syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC));
  // EINVAL: the flag is newer (5.11) than the call (5.9).
  return refused(r) || r == -EINVAL ? compat::close_range(first, ~0U, true) : int(r);
}
bool has_effective_cap(int cap) {
  __user_cap_header_struct head{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (syscall(SYS_capget, &head, data) < 0 || cap < 0 || cap >= 64) return false;
  return data[cap / 32].effective & (1u << (cap % 32));
}
int close_range(unsigned first, unsigned last) {
  long r = ret(syscall(SYS_close_range, first, last, 0U));
  return refused(r) ? compat::close_range(first, last, false) : int(r);
}
int pidfd_getfd(int pidfd, int fd) {
  return int(ret(syscall(SYS_pidfd_getfd, pidfd, fd, 0)));
}
int same_file(int a, int b) {
  pid_t self = ::getpid();
  long r = ret(syscall(SYS_kcmp, self, self, KCMP_FILE, a, b));
  return r < 0 ? int(r) : r == 0 ? 1 : 0;
}
int openat2(int dirfd, const char* path, int flags, uint64_t resolve) {
  open_how how{};
  how.flags = uint64_t(flags);
  how.resolve = resolve;
  long r = ret(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
  if (refused(r) && (resolve & RESOLVE_IN_ROOT)) return compat::open_in_root(dirfd, path, flags);
  return int(r);
}
int seccomp_set_filter(unsigned flags, const sock_fprog* prog) {
  return int(ret(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog)));
}
long keyctl(int op, unsigned long arg2, unsigned long arg3) {
  return ret(syscall(SYS_keyctl, op, arg2, arg3));
}
int sched_setattr_self(const SchedAttr& attr) {
  return int(ret(syscall(SYS_sched_setattr, 0, &attr, 0)));
}
int ioprio_set_self(int value) {
  constexpr int kWhoProcess = 1;  // IOPRIO_WHO_PROCESS
  return int(ret(syscall(SYS_ioprio_set, kWhoProcess, 0, value)));
}
int capset(const __user_cap_data_struct (&data)[2]) {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  return int(ret(syscall(SYS_capset, &h, data)));
}
int bpf(int cmd, void* attr, unsigned size) {
  return int(ret(syscall(SYS_bpf, cmd, attr, size)));
}

namespace {
rlim_t given_soft = RLIM_INFINITY;  // before raise_fd_limit; copied into every child
bool raised = false;
}  // namespace

rlim_t raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) < 0) return 0;
  if (!raised) given_soft = rl.rlim_cur;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit up{rl.rlim_max, rl.rlim_max};
    if (::setrlimit(RLIMIT_NOFILE, &up) == 0) {
      raised = true;
      return rl.rlim_max;
    }
  }
  return rl.rlim_cur;
}

void restore_fd_limit() {
  if (!raised) return;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) < 0) return;
  rl.rlim_cur = given_soft;
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

}  // namespace ringc::sys
