// ringc-deny: runs a command under a seccomp filter that makes chosen
// system calls fail with one errno, the way a host refuses them (Docker's
// default profile: io_uring_setup → EPERM; an older kernel: ENOSYS). The
// filter is inherited by everything the command starts, containers too.
//
//   ringc-deny [--errno ENOSYS|EPERM|EACCES] CALL[,CALL...] -- COMMAND [ARG...]
//
// CALL is a system call's name or a group: `mount-api` (open_tree,
// move_mount, mount_setattr, fsopen, fsconfig, fsmount, fspick).
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "tests/faults/deny_filter.h"

int main(int argc, char** argv) {
  auto usage = [] {
    std::fputs(
        "usage: ringc-deny [--errno ENOSYS|EPERM|EACCES] CALL[,CALL...] -- COMMAND [ARG...]\n",
        stderr);
    return 2;
  };
  int err = ENOSYS;
  int i = 1;
  if (i + 1 < argc && std::strcmp(argv[i], "--errno") == 0) {
    std::string_view e = argv[i + 1];
    if (e == "ENOSYS")
      err = ENOSYS;
    else if (e == "EPERM")
      err = EPERM;
    else if (e == "EACCES")
      err = EACCES;
    else
      return usage();
    i += 2;
  }
  if (i + 2 >= argc || std::strcmp(argv[i + 1], "--") != 0) return usage();
  if (int r = ringc::faults::deny_syscalls(argv[i], err); r < 0) {
    std::fprintf(stderr, "ringc-deny: %s: %s\n", argv[i],
                 r == -EINVAL ? "unknown system call" : std::strerror(-r));
    return 2;
  }
  execvp(argv[i + 2], argv + i + 2);
  std::fprintf(stderr, "ringc-deny: %s: %s\n", argv[i + 2], std::strerror(errno));
  return 127;
}
