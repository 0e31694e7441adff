#include "core/init/idmap.h"

#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace ringc {

Result<void> write_id_map(pid_t pid, const char* file, const std::vector<IdMapping>& maps) {
  std::string text;
  for (auto& m : maps) text += fmt::format("{} {} {}\n", m.container_id, m.host_id, m.size);
  std::string path = fmt::format("/proc/{}/{}", pid, file);
  sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) return sys_error(errno, "open " + path);
  ssize_t n = ::write(fd.get(), text.data(), text.size());
  if (n != ssize_t(text.size()))
    return sys_error(n < 0 ? errno : EIO, fmt::format("write linux.{}", file));
  return outcome::success();
}

namespace {
bool only_own(const std::vector<IdMapping>& maps, uint32_t own) {
  return maps.size() == 1 && maps[0].host_id == own && maps[0].size == 1;
}

// newuidmap/newgidmap PID ID HOST SIZE...: setuid helpers that check
// /etc/subuid (/etc/subgid) for the caller.
Result<void> run_map_helper(const char* helper, pid_t pid, const std::vector<IdMapping>& maps,
                            const char* field) {
  std::vector<std::string> words = {helper, std::to_string(pid)};
  for (auto& m : maps) {
    words.push_back(std::to_string(m.container_id));
    words.push_back(std::to_string(m.host_id));
    words.push_back(std::to_string(m.size));
  }
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::string path;
  const char* env = std::getenv("PATH");
  std::string dirs = env && *env ? env : "/usr/local/bin:/usr/bin:/bin";
  for (size_t at = 0; path.empty() && at <= dirs.size();) {
    size_t colon = std::min(dirs.find(':', at), dirs.size());
    std::string candidate = dirs.substr(at, colon - at) + "/" + helper;
    if (colon > at && ::access(candidate.c_str(), X_OK) == 0) path = candidate;
    at = colon + 1;
  }
  if (path.empty())
    return sys_error(ENOENT, fmt::format("linux.{}: a rootless map beyond your own id needs {} "
                                         "(package uidmap) and your range in /etc/sub{}id",
                                         field, helper, field[0] == 'u' ? 'u' : 'g'));
  pid_t child = -1;
  if (int e = ::posix_spawn(&child, path.c_str(), nullptr, nullptr, argv.data(), environ))
    return sys_error(e, "run " + path);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return ringc_error(Errc::bad_spec,
                       fmt::format("linux.{}: {} refused the map (is it in your /etc/sub{}id?)",
                                   field, helper, field[0] == 'u' ? 'u' : 'g'));
  return outcome::success();
}
}  // namespace

Result<void> map_user_ns(pid_t pid, const std::vector<IdMapping>& uids,
                         const std::vector<IdMapping>& gids) {
  if (::geteuid() == 0) {
    RINGC_TRY(write_id_map(pid, "uid_map", uids));
    return write_id_map(pid, "gid_map", gids);
  }
  if (only_own(uids, ::geteuid())) {
    RINGC_TRY(write_id_map(pid, "uid_map", uids));
  } else {
    RINGC_TRY(run_map_helper("newuidmap", pid, uids, "uidMappings"));
  }
  if (!only_own(gids, ::getegid())) return run_map_helper("newgidmap", pid, gids, "gidMappings");
  // The kernel lets an unprivileged process map its own gid only once
  // setgroups is denied in the namespace (user_namespaces(7)).
  std::string path = fmt::format("/proc/{}/setgroups", pid);
  sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0 || ::write(fd.get(), "deny", 4) != 4) return sys_error(errno, "write " + path);
  return write_id_map(pid, "gid_map", gids);
}

Result<sys::UniqueFd> mapping_user_ns(const std::vector<IdMapping>& uids,
                                      const std::vector<IdMapping>& gids) {
  // The child waits for EOF on the pipe, then exits: it only has to exist
  // while its namespace is mapped and opened.
  int hold[2];
  if (::pipe2(hold, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  sys::UniqueFd hold_r(hold[0]), hold_w(hold[1]);
  clone_args args{};
  args.flags = CLONE_NEWUSER;
  args.exit_signal = SIGCHLD;
  pid_t pid = sys::clone3(&args);
  if (pid < 0) return neg_error(pid, "clone3 a user namespace for an id-mapped mount");
  if (pid == 0) {
    char b;
    ::close(hold[1]);
    while (::read(hold[0], &b, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  hold_r.reset();
  auto reap = [pid] {
    siginfo_t info{};
    (void)::waitid(P_PID, id_t(pid), &info, WEXITED);
  };
  Result<void> mapped = write_id_map(pid, "uid_map", uids);
  if (mapped) mapped = write_id_map(pid, "gid_map", gids);
  sys::UniqueFd ns;
  if (mapped) {
    ns = sys::UniqueFd(::open(fmt::format("/proc/{}/ns/user", pid).c_str(), O_RDONLY | O_CLOEXEC));
    if (ns.get() < 0) mapped = sys_error(errno, "open the id-mapped mount's user namespace");
  }
  hold_w.reset();
  reap();
  if (!mapped) return mapped.error();
  return ns;
}

Result<void> idmap_tree(int tree, int user_ns, bool recursive, const Mount& m) {
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = uint64_t(user_ns);
  if (::mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                      sizeof attr) == 0)
    return outcome::success();
  int e = errno;
  const char* why = e == ENOSYS || e == EPERM ? " (id-mapped mounts need mount_setattr, Linux 5.12)"
                    : e == EINVAL             ? " (can its filesystem be id-mapped?)"
                                              : "";
  return sys_error(e, fmt::format("mount {}: id-map {}{}", m.destination, m.source, why));
}

}  // namespace ringc
