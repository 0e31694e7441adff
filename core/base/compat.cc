#include "core/base/compat.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ringc::compat {

namespace {
int close_quietly(int fd) {
  int e = errno;
  ::close(fd);
  errno = e;
  return -1;
}

// The child's pid written to cgroup.procs of the cgroup dirfd names.
int join_cgroup(int dirfd, pid_t pid) {
  int fd = ::openat(dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  char buf[16];
  int n = std::snprintf(buf, sizeof buf, "%d", pid);
  int r = ::write(fd, buf, size_t(n)) == n ? 0 : -errno;
  ::close(fd);
  return r;
}
}  // namespace

pid_t clone(const clone_args* a) {
  const bool into = a->flags & CLONE_INTO_CGROUP;
  // The child waits on `gate` until it is in its cgroup, as clone3 would
  // have started it there.
  int gate[2] = {-1, -1};
  if (into && ::pipe2(gate, O_CLOEXEC) < 0) return -errno;
  unsigned long flags = (a->flags & ~uint64_t(CLONE_INTO_CGROUP)) | (a->exit_signal & 0xff);
  // x86-64 and arm64 order: flags, stack, parent_tid, child_tid, tls.
  long pid = ::syscall(SYS_clone, flags, nullptr, reinterpret_cast<int*>(a->pidfd),
                       reinterpret_cast<int*>(a->child_tid), a->tls);
  if (pid == 0) {
    if (into) {
      ::close(gate[1]);
      char go = 0;
      while (::read(gate[0], &go, 1) < 0 && errno == EINTR) {
      }
      if (go != 1) ::_exit(127);  // the parent could not move it: it reaps us
      ::close(gate[0]);
    }
    return 0;
  }
  if (pid < 0) {
    int e = errno;
    if (into) ::close(gate[0]), ::close(gate[1]);
    return -e;
  }
  if (into) {
    ::close(gate[0]);
    if (int r = join_cgroup(int(a->cgroup), pid_t(pid)); r < 0) {
      ::kill(pid_t(pid), SIGKILL);
      ::close(gate[1]);
      ::waitpid(pid_t(pid), nullptr, __WALL);
      if (a->flags & CLONE_PIDFD) ::close(*reinterpret_cast<int*>(a->pidfd));
      return r;
    }
    char go = 1;
    (void)!::write(gate[1], &go, 1);
    ::close(gate[1]);
  }
  return pid_t(pid);
}

int close_range(unsigned first, unsigned last, bool cloexec) {
  auto apply = [&](int fd) {
    if (cloexec)
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    else
      ::close(fd);
  };
  // /proc/self/fd lists what is open (getdents64 into a buffer on the
  // stack: this runs between clone and exec).
  int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    char buf[4096];
    long n;
    while ((n = ::syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        auto* d = reinterpret_cast<dirent64*>(buf + off);
        off += d->d_reclen;
        char* end;
        long fd = std::strtol(d->d_name, &end, 10);
        if (*end || end == d->d_name || fd == dir) continue;
        if (unsigned(fd) >= first && unsigned(fd) <= last) apply(int(fd));
      }
    }
    ::close(dir);
    return 0;
  }
  // No /proc: every number up to the fd limit.
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  unsigned top = rl.rlim_cur == RLIM_INFINITY ? 1u << 20 : unsigned(rl.rlim_cur);
  for (unsigned fd = first; fd <= last && fd < top; ++fd) apply(int(fd));
  return 0;
}

int open_in_root(int root, const char* path, int flags) {
  if (!(flags & O_PATH)) return -EINVAL;
  // The directories walked so far, the root first: ".." pops one and
  // never the root, as RESOLVE_IN_ROOT treats it.
  std::vector<int> dirs;
  auto fail = [&](int e) {
    for (int fd : dirs) ::close(fd);
    return -e;
  };
  int top = ::fcntl(root, F_DUPFD_CLOEXEC, 0);
  if (top < 0) return -errno;
  dirs.push_back(top);
  std::string todo = path;
  int links = 0;
  while (true) {
    size_t start = todo.find_first_not_of('/');
    if (start == std::string::npos) break;
    size_t end = todo.find('/', start);
    std::string name = todo.substr(start, end - start);
    todo.erase(0, end == std::string::npos ? todo.size() : end);
    const bool last = todo.find_first_not_of('/') == std::string::npos;
    if (name == ".") continue;
    if (name == "..") {
      if (dirs.size() > 1) {
        ::close(dirs.back());
        dirs.pop_back();
      }
      continue;
    }
    int next = ::openat(dirs.back(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) return fail(errno);
    struct stat st {};
    if (::fstat(next, &st) < 0) return close_quietly(next), fail(errno);
    if (S_ISLNK(st.st_mode) && !(last && (flags & O_NOFOLLOW))) {
      struct statfs fs {};
      // procfs links (/proc/self/fd/N) point outside any root.
      if (::fstatfs(next, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC)
        return close_quietly(next), fail(ELOOP);
      if (++links > 40) return close_quietly(next), fail(ELOOP);
      char target[4096];
      ssize_t n = ::readlinkat(next, "", target, sizeof target - 1);
      ::close(next);
      if (n < 0) return fail(errno);
      if (target[0] == '/')
        while (dirs.size() > 1) {
          ::close(dirs.back());
          dirs.pop_back();
        }
      todo = std::string(target, size_t(n)) + "/" + todo;
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode)) return close_quietly(next), fail(ENOTDIR);
    dirs.push_back(next);
  }
  int fd = dirs.back();
  dirs.pop_back();
  for (int d : dirs) ::close(d);
  struct stat st {};
  if ((flags & O_DIRECTORY) && (::fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))) {
    ::close(fd);
    return -ENOTDIR;
  }
  return fd;
}

std::string missing_floor() {
  int fd = int(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (fd < 0) {
    std::string why = std::strerror(errno);
    if (!why.empty()) why[0] = char(std::tolower(static_cast<unsigned char>(why[0])));
    return "pidfd_open: " + why +
           ": ringc holds every process by a pidfd and needs Linux 5.3 or later";
  }
  // Signal 0 through it: a profile may refuse this one alone (5.1).
  if (::syscall(SYS_pidfd_send_signal, fd, 0, nullptr, 0) < 0 &&
      (errno == ENOSYS || errno == EPERM)) {
    std::string why = errno == ENOSYS ? "function not implemented" : "operation not permitted";
    ::close(fd);
    return "pidfd_send_signal: " + why +
           ": ringc signals every process by its pidfd and needs Linux 5.1 or later";
  }
  siginfo_t info{};
  int r = ::waitid(idtype_t(3) /* P_PIDFD */, id_t(fd), &info, WEXITED | WNOHANG);
  int e = errno;
  ::close(fd);
  if (r < 0 && e == EINVAL)
    return "waitid(P_PIDFD): invalid argument: ringc waits on pidfds and needs Linux 5.4 or later";
  return {};
}

}  // namespace ringc::compat
