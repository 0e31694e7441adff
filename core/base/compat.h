// What stands in for a newer system call where the kernel lacks it or a
// seccomp profile refuses it (issue 22). Each keeps the promise of the
// call it replaces, in more system calls; sys.cc takes them on ENOSYS
// (and EPERM, which Docker's profile answers for some) and nowhere else.
//
//   clone3 (5.3)            clone(2); CLONE_INTO_CGROUP (5.7) by writing
//                           the child's pid to cgroup.procs before it runs
//   close_range (5.9; its CLOEXEC flag 5.11)
//                           the fds listed in /proc/self/fd, one by one
//   openat2 RESOLVE_IN_ROOT (5.6)
//                           a walk one component at a time, O_NOFOLLOW,
//                           symlinks read and resolved against the root,
//                           ".." stopping at it
#pragma once

#include <linux/sched.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace ringc::compat {

// clone3's arguments through clone(2): flags, pidfd, child_tid,
// exit_signal, tls and cgroup (no stack, set_tid). The pid, 0 in the
// child, or -errno.
pid_t clone(const clone_args* args);

// Closes (or with cloexec marks close-on-exec) every fd from first to
// last. 0 or -errno.
int close_range(unsigned first, unsigned last, bool cloexec);

// openat2(root, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) for
// O_PATH opens: path resolved as if root were "/". The fd or -errno
// (ELOOP for a magic link or too many links, EINVAL without O_PATH).
int open_in_root(int root, const char* path, int flags);

// What ringc cannot do without and nothing stands in for: pidfds
// (pidfd_open, 5.3), signalling through them (pidfd_send_signal, 5.1)
// and waiting on them (waitid P_PIDFD, 5.4). Empty where
// the kernel has them, else what is missing and the kernel that has it.
std::string missing_floor();

}  // namespace ringc::compat
