#include "core/init/process_setup.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "core/base/sys.h"
#include "core/init/handshake.h"

namespace ringc {

int last_cap() {
  static int cached = -1;  // the kernel's; the same in every namespace
  if (cached >= 0) return cached;
  int fd = ::open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return CAP_LAST_CAP;
  char buf[16] = {};
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  return cached = n > 0 ? std::atoi(buf) : CAP_LAST_CAP;
}

namespace {

Result<void> capset(uint64_t eff, uint64_t prm, uint64_t inh) {
  __user_cap_data_struct d[2] = {{uint32_t(eff), uint32_t(prm), uint32_t(inh)},
                                 {uint32_t(eff >> 32), uint32_t(prm >> 32), uint32_t(inh >> 32)}};
  if (int r = sys::capset(d); r < 0) return sys_error(-r, "capset");
  return outcome::success();
}

std::string env_path(const Process& p) {
  for (auto& e : p.env)
    if (e.starts_with("PATH=")) return e.substr(5);
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

// Lower-case texts as runc's Go errors read: engines match on them
// (podman: "no such file or directory" → 127, "permission denied" → 126).
Error exec_error(const std::string& prog, int e, std::string_view detail) {
  const char* why = e == ENOENT   ? "no such file or directory"
                    : e == EACCES ? "permission denied"
                                  : nullptr;
  std::string msg = fmt::format("exec: \"{}\": {}", prog, detail);
  if (why) msg += fmt::format(": {}", why);
  return ringc_error(Errc::init_failed, msg);
}
}  // namespace

Result<void> apply_rlimits(const Process& p) {
  sys::restore_fd_limit();  // what the caller was given, unless the spec says
  for (auto& r : p.rlimits) {
    rlimit rl{rlim_t(r.soft), rlim_t(r.hard)};
    if (::setrlimit(r.resource, &rl) < 0)
      return sys_error(errno,
                       fmt::format("set {} to {}:{}", rlimit_name(r.resource), r.soft, r.hard));
  }
  return outcome::success();
}

Result<void> apply_oom_score_adj(const Process& p) {
  if (!p.oom_score_adj) return outcome::success();
  int fd = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, "open /proc/self/oom_score_adj");
  std::string v = std::to_string(*p.oom_score_adj);
  ssize_t n = ::write(fd, v.data(), v.size());
  int e = errno;
  ::close(fd);
  if (n < 0) return sys_error(e, "set oomScoreAdj to " + v);
  return outcome::success();
}

Result<void> apply_identity(const Process& p) {
  const auto& caps = p.capabilities;
  const int top = caps ? last_cap() : 0;
  if (caps) {
    for (int c = 0; c <= top; ++c)
      if (!(caps->bounding & (uint64_t(1) << c)) && ::prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
        return sys_error(errno, fmt::format("drop capability {} from the bounding set", c));
  }
  const User& u = p.user;
  // EPERM with no groups asked for: setgroups is denied in this user
  // namespace (a rootless ringc mapped its own gid), as under runc.
  if (int r = sys::setgroups_thread(u.additional_gids.size(), u.additional_gids.data());
      r < 0 && !(r == -EPERM && u.additional_gids.empty()))
    return sys_error(-r, u.additional_gids.empty() || r != -EPERM
                             ? std::string("setgroups")
                             : "setgroups: user.additionalGids: setgroups is denied in this user "
                               "namespace (rootless: map groups with newgidmap)");
  if (int r = sys::setresgid_thread(u.gid); r < 0)
    return sys_error(-r, fmt::format("setgid {}", u.gid));
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return sys_error(errno, "keepcaps");
  if (int r = sys::setresuid_thread(u.uid); r < 0)
    return sys_error(-r, fmt::format("setuid {}", u.uid));
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  if (caps) {
    RINGC_TRY(capset(caps->effective, caps->permitted, caps->inheritable));
    for (int c = 0; c <= top; ++c)
      if ((caps->ambient & (uint64_t(1) << c)) &&
          ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM)
        return sys_error(errno, fmt::format("raise ambient capability {}", c));
  }
  ::umask(u.umask.value_or(0022));  // runc's default
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return sys_error(errno, "no_new_privs");
  return outcome::success();
}

Result<void> enter_cwd_and_identity(const Process& p) {
  // As root first: uid 0 without CAP_DAC_OVERRIDE may still start in a
  // 0700 directory of another user; a refusal is tried again as the
  // process's user, whose directory it may be (runc's order).
  bool again = false;
  if (::chdir(p.cwd.c_str()) < 0) {
    if (errno != EACCES && errno != EPERM) return sys_error(errno, "chdir " + p.cwd);
    again = true;
  }
  RINGC_TRY(apply_identity(p));
  if (again && ::chdir(p.cwd.c_str()) < 0) return sys_error(errno, "chdir " + p.cwd);
  return outcome::success();
}

std::vector<char*> cstrings(const std::vector<std::string>& v,
                            const std::vector<std::string>& more) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  for (auto& s : more) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Fds 3 .. 3+n-1 reach the program (LISTEN_FDS, --preserve-fds); every
// other fd from 3 up is closed at exec. An fd in that range that is one of
// ringc's own means the caller did not have it open: refuse, rather than
// hand the container a handle to ringc.
Result<void> pass_fds(unsigned n, std::initializer_list<int> ours) {
  for (int fd : ours)
    if (fd >= 3 && unsigned(fd) < 3 + n)
      return ringc_error(Errc::bad_usage,
                         fmt::format("--preserve-fds: fd {} was not open in the caller", fd));
  if (int r = sys::close_range_cloexec(3 + n); r < 0) return neg_error(r, "close_range");
  for (unsigned fd = 3; fd < 3 + n; ++fd) {
    int flags = ::fcntl(int(fd), F_GETFD);
    if (flags < 0) return sys_error(errno, fmt::format("--preserve-fds: fd {}", fd));
    if (::fcntl(int(fd), F_SETFD, flags & ~FD_CLOEXEC) < 0)
      return sys_error(errno, fmt::format("--preserve-fds: fd {}", fd));
  }
  return outcome::success();
}

Result<void> place_fds(std::span<const int> fds, int first, const std::vector<int*>& ours) {
  if (fds.empty()) return outcome::success();
  const int top = first + int(fds.size());
  auto lift = [&](int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, top); };
  for (int* p : ours) {
    if (*p < first || *p >= top) continue;
    int moved = lift(*p);
    if (moved < 0) return sys_error(errno, "move an fd of ringc's");
    ::close(*p);
    *p = moved;
  }
  // Every source is copied above the targets before any target is
  // written: a source may sit where another one goes.
  std::vector<int> high;
  high.reserve(fds.size());
  for (int fd : fds) {
    int moved = lift(fd);
    if (moved < 0) return sys_error(errno, "a passed fd");
    high.push_back(moved);
  }
  for (size_t i = 0; i < high.size(); ++i) {
    if (::dup2(high[i], first + int(i)) < 0) return sys_error(errno, "place a passed fd");
    ::close(high[i]);
  }
  return outcome::success();
}

void close_fds_from(int first, std::vector<int> keep) {
  std::vector<int> k;
  for (int fd : keep)
    if (fd >= first) k.push_back(fd);
  std::sort(k.begin(), k.end());
  unsigned from = unsigned(first);
  for (int fd : k) {
    if (unsigned(fd) > from) sys::close_range(from, unsigned(fd) - 1);
    from = std::max(from, unsigned(fd) + 1);
  }
  sys::close_range(from, ~0U);
}

Result<std::string> find_executable(const Process& p) {
  const std::string& prog = p.args[0];
  auto check = [](const std::string& path) -> int {
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) return errno;
    if (S_ISDIR(st.st_mode)) return EACCES;
    if (::access(path.c_str(), X_OK) < 0) return errno;
    return 0;
  };
  if (prog.find('/') != std::string::npos) {
    if (int e = check(prog)) return exec_error(prog, e, fmt::format("stat {}", prog));
    return prog;
  }
  std::string path = env_path(p);
  int denied = 0;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t colon = path.find(':', pos);
    if (colon == std::string::npos) colon = path.size();
    std::string dir = path.substr(pos, colon - pos);
    pos = colon + 1;
    std::string cand = (dir.empty() ? "." : dir) + "/" + prog;
    int e = check(cand);
    if (e == 0) return cand;
    if (e == EACCES) denied = EACCES;
  }
  if (denied) return exec_error(prog, EACCES, "permission denied in $PATH");
  return exec_error(prog, ENOENT, "executable file not found in $PATH");
}

Result<void> load_seccomp(const SeccompFilter& filter, int sock) {
  RINGC_TRY(int listener, filter.load());
  if (listener >= 0) return hand_over_listener(sock, listener);
  return outcome::success();
}

}  // namespace ringc
