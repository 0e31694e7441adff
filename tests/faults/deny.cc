// ringc-deny: runs a command under a seccomp filter that makes chosen
// system calls fail with one errno, the way a host refuses them (Docker's
// default profile: io_uring_setup → EPERM; an older kernel: ENOSYS). The
// filter is inherited by everything the command starts, containers too.
//
//   ringc-deny [--errno ENOSYS|EPERM|EACCES] CALL[,CALL...] -- COMMAND [ARG...]
//
// CALL is a system call's name or a group: `mount-api` (open_tree,
// move_mount, mount_setattr, fsopen, fsconfig, fsmount, fspick).
#include <seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {
int usage() {
  std::fputs("usage: ringc-deny [--errno ENOSYS|EPERM|EACCES] CALL[,CALL...] -- COMMAND [ARG...]\n",
             stderr);
  return 2;
}

std::vector<std::string> expand(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    if (name == "mount-api") {
      for (const char* n :
           {"open_tree", "move_mount", "mount_setattr", "fsopen", "fsconfig", "fsmount", "fspick"})
        out.emplace_back(n);
    } else if (!name.empty()) {
      out.emplace_back(name);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}
}  // namespace

int main(int argc, char** argv) {
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
  std::vector<std::string> calls = expand(argv[i]);
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return 1;
  // No no_new_privs: the command must run as it would without the filter.
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  for (const std::string& c : calls) {
    int nr = seccomp_syscall_resolve_name(c.c_str());
    if (nr == __NR_SCMP_ERROR) {
      std::fprintf(stderr, "ringc-deny: unknown system call \"%s\"\n", c.c_str());
      return 2;
    }
    if (int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(uint16_t(err)), nr, 0); r < 0) {
      std::fprintf(stderr, "ringc-deny: %s: %s\n", c.c_str(), std::strerror(-r));
      return 1;
    }
  }
  if (int r = seccomp_load(ctx); r < 0) {
    std::fprintf(stderr, "ringc-deny: load the filter: %s\n", std::strerror(-r));
    return 1;
  }
  seccomp_release(ctx);
  execvp(argv[i + 2], argv + i + 2);
  std::fprintf(stderr, "ringc-deny: %s: %s\n", argv[i + 2], std::strerror(errno));
  return 127;
}
