#include "core/init/rootfs.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fmt/format.h>

#include <climits>
#include <deque>
#include <optional>

#include "core/base/sys.h"
#include "core/init/copyup.h"
#include "core/init/idmap.h"

namespace ringc {

namespace {
std::string fd_path(int fd) {
  return fmt::format("/proc/self/fd/{}", fd);
}

// Flags a bind remount must keep: the kernel refuses to drop locked ones.
unsigned long current_flags(const char* path) {
  struct statvfs s;
  if (::statvfs(path, &s) < 0) return 0;
  unsigned long f = 0;
  if (s.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (s.f_flag & ST_NODEV) f |= MS_NODEV;
  if (s.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (s.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (s.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (s.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

Result<void> do_mount(const char* src, const std::string& target, const char* type,
                      unsigned long flags, const char* data, std::string_view what) {
  if (::mount(src, target.c_str(), type, flags, data) < 0)
    return sys_error(errno, fmt::format("mount {}", what));
  return outcome::success();
}

Result<void> remount_bind(const std::string& target, unsigned long flags, std::string_view what) {
  unsigned long f = MS_BIND | MS_REMOUNT | flags | current_flags(target.c_str());
  return do_mount(nullptr, target, nullptr, f, nullptr, what);
}

// An fd opened before a mount names the directory underneath it: remounts
// and propagation changes need the path resolved again, onto the new mount.
template <class F>
Result<void> on_mounted(int rootfd, std::string_view dest, bool file, F&& f) {
  RINGC_TRY(auto fd, open_in_root(rootfd, dest, file));
  Result<void> r = f(fd_path(fd));
  ::close(fd);
  return r;
}

// A detached clone (open_tree) of `path` under dirfd, recursive or not,
// with the read-only, nosuid, nodev and noexec of `flags` set on it
// (mount_setattr) before it is attached anywhere. The fd, or -errno;
// -ENOSYS on a kernel without mount_setattr (before 5.12).
// The mount API refused by a seccomp profile (EPERM) is taken for missing
// (-ENOSYS): the callers' mount(2) fallback then runs, and fails with a
// clear error if mounting is refused altogether.
int mount_api_error() {
  return errno == EPERM ? -ENOSYS : -errno;
}

int detached_clone(int dirfd, const char* path, unsigned long flags, bool recursive) {
  int tree = ::open_tree(dirfd, path,
                         OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0) return mount_api_error();
  mount_attr attr{};
  if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
  if (attr.attr_set && ::mount_setattr(tree, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
                                       &attr, sizeof attr) < 0) {
    int e = mount_api_error();
    ::close(tree);
    return e;
  }
  return tree;
}

// Binds `source` (recursively) at `name` in the directory dirfd (at
// dirfd itself when name is empty), read-only and the rest of `flags`
// set while detached: four syscalls, no path resolved twice. dirfd is a
// tmpfs ringc has just made (or a directory it resolved in the rootfs),
// so `name` cannot be a link. -errno; -ENOSYS before 5.12.
int attach_tree(int dirfd, const std::string& name, const std::string& source,
                unsigned long flags) {
  if (!name.empty() && ::mkdirat(dirfd, name.c_str(), 0755) < 0 && errno != EEXIST) return -errno;
  int tree = detached_clone(AT_FDCWD, source.c_str(), flags, true);
  if (tree < 0) return tree;
  sys::UniqueFd guard(tree);
  unsigned move = MOVE_MOUNT_F_EMPTY_PATH | (name.empty() ? MOVE_MOUNT_T_EMPTY_PATH : 0);
  if (::move_mount(tree, "", dirfd, name.c_str(), move) < 0) return mount_api_error();
  return 0;
}

// /sys/fs/cgroup inside the container. On a unified host with a cgroup
// namespace, a fresh cgroup2 mount (rooted at the container's cgroup);
// otherwise the container's directories are bound from the host, each
// v1 hierarchy under a tmpfs, as runc does: a fresh v1 mount takes the
// kernel's cgroup_mutex once per hierarchy, which every create and
// delete on the host also needs.
Result<void> mount_cgroup(const SpawnPlan& plan, int rootfd, const Mount& m, const MountOptions& o,
                          const std::string& target) {
  const cgroup::Host& host = *plan.cgroups;
  bool own_ns = plan.spec->linux_cfg.find(NsType::cgroup) != nullptr;
  unsigned long fl = o.flags & ~MS_RDONLY;
  // No cgroups of the container's (a rootless ringc): on a v2 host its
  // cgroup namespace's own cgroup2 mount where the kernel allows one,
  // else what the /sys bind shows; on v1 an empty tmpfs.
  if (host.hierarchies.empty() && host.layout == cgroup::Layout::unified) {
    if (own_ns) (void)do_mount("cgroup", target, "cgroup2", o.flags, nullptr, m.destination);
    return outcome::success();
  }
  if (host.layout == cgroup::Layout::unified) {
    if (own_ns) {
      // The container's own directory, bound: in its cgroup namespace it
      // reads as a fresh cgroup2 mount would (the root is "/", the same
      // files), without a superblock of its own, which would cost the
      // kernel a walk of every cgroup2 superblock and shrinker maps sized
      // by every memory cgroup.
      RINGC_TRY(auto fd, open_in_root(rootfd, m.destination, false));
      sys::UniqueFd dir(fd);
      int r = attach_tree(dir.get(), "", host.v2()->mount + plan.cgroup_path, o.flags);
      if (r == 0) return outcome::success();
      if (r != -ENOSYS) return sys_error(-r, fmt::format("mount {}", m.destination));
      return do_mount("cgroup", target, "cgroup2", o.flags, nullptr, m.destination);
    }
    RINGC_TRY(do_mount((host.v2()->mount + plan.cgroup_path).c_str(), target, nullptr,
                       MS_BIND | MS_REC, nullptr, m.destination));
    if (!(o.flags & MS_RDONLY)) return outcome::success();
    return on_mounted(rootfd, m.destination, false, [&](const std::string& t) {
      return remount_bind(t, o.flags, m.destination);
    });
  }
  RINGC_TRY(do_mount("tmpfs", target, "tmpfs", fl, "mode=755", m.destination));
  RINGC_TRY(auto tmpfs, open_in_root(rootfd, m.destination, false));
  sys::UniqueFd dir(tmpfs);
  for (auto& h : host.hierarchies) {
    std::string sub = h.v2 ? "unified" : h.mount.substr(h.mount.rfind('/') + 1);
    std::string dest = m.destination + "/" + sub;
    std::string source = h.mount + plan.cgroup_path;
    if (auto r = attach_tree(dir.get(), sub, source, o.flags); r != -ENOSYS) {
      if (r < 0) return sys_error(-r, fmt::format("mount {}", dest));
      continue;
    }
    // A kernel before 5.12: bind, then remount.
    RINGC_TRY(on_mounted(rootfd, dest, false, [&](const std::string& t) {
      return do_mount(source.c_str(), t, nullptr, MS_BIND | MS_REC, nullptr, dest);
    }));
    if (o.flags & MS_RDONLY) {
      RINGC_TRY(on_mounted(rootfd, dest, false,
                           [&](const std::string& t) { return remount_bind(t, o.flags, dest); }));
    }
  }
  if (!(o.flags & MS_RDONLY)) return outcome::success();
  return on_mounted(rootfd, m.destination, false, [&](const std::string& t) {
    return do_mount(nullptr, t, nullptr, MS_REMOUNT | o.flags, "mode=755", m.destination);
  });
}

// procfs and sysfs go only onto a real directory reached through no
// symlink, as runc requires since CVE-2019-19921 and CVE-2023-27561: a
// link would let the image choose where they land.
Result<void> ordinary_directory(int rootfd, const Mount& m) {
  long fd = sys::openat2(rootfd, m.destination.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC,
                         RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS);
  if (fd == -ENOENT) return outcome::success();  // made as a directory
  bool dir = false;
  if (fd >= 0) {
    struct stat st;
    dir = ::fstat(int(fd), &st) == 0 && S_ISDIR(st.st_mode);
    ::close(int(fd));
  } else if (fd != -ELOOP) {
    return neg_error(int(fd), fmt::format("mount {}", m.destination));
  }
  if (dir) return outcome::success();
  return ringc_error(Errc::bad_spec,
                     fmt::format("mount {}: filesystem \"{}\" must be mounted on an ordinary "
                                 "directory (it is a symlink or lies behind one, or is not a "
                                 "directory)",
                                 m.destination, m.type));
}

// A fresh filesystem at target; with tmpcopyup, first a copy of what it
// covers (the fd `under` still names the covered directory after the mount).
Result<void> mount_fs(int rootfd, const Mount& m, const MountOptions& o, int under,
                      const std::string& target) {
  const char* data = o.data.empty() ? nullptr : o.data.c_str();
  const char* source = m.source.empty() ? m.type.c_str() : m.source.c_str();
  if (o.copy_up && m.type != "tmpfs")
    return ringc_error(Errc::bad_spec, fmt::format("mount {}: tmpcopyup is for tmpfs, not \"{}\"",
                                                   m.destination, m.type));
  sys::UniqueFd covered;
  if (o.copy_up) {
    covered = sys::UniqueFd(::openat(under, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (covered.get() < 0) return sys_error(errno, fmt::format("tmpcopyup {}", m.destination));
  }
  if (::mount(source, target.c_str(), m.type.c_str(), o.flags, data) < 0) {
    int e = errno;
    // What the kernel got as data holds every option ringc did not know.
    if (e == EINVAL && data)
      return sys_error(e, fmt::format("mount {}: {} refused the options \"{}\" (not mount flags "
                                      "ringc knows, so passed as filesystem data)",
                                      m.destination, m.type, o.data));
    return sys_error(e, fmt::format("mount {}", m.destination));
  }
  if (!o.copy_up) return outcome::success();
  return on_mounted(rootfd, m.destination, false, [&](const std::string& t) -> Result<void> {
    sys::UniqueFd fresh(::open(t.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fresh.get() < 0) return sys_error(errno, fmt::format("tmpcopyup {}", m.destination));
    return copy_tree(covered.get(), fresh.get(), o.data.find("mode=") != std::string::npos,
                     m.destination);
  });
}

// A read-only /dev (a tmpfs the spec mounts "ro") is populated first, its
// nodes, links and mount points made, and made read-only last, as runc.
bool dev_read_only(const Mount& m) {
  return m.destination == "/dev" && m.type == "tmpfs" &&
         (parse_mount_options(m.options).flags & MS_RDONLY);
}

std::string bind_source(const Mount& m, const std::string& bundle) {
  if (!m.source.empty() && m.source[0] != '/') return bundle + "/" + m.source;
  return m.source;
}

bool is_bind(const Mount& m, const MountOptions& o) {
  return o.bind || m.type == "bind";
}
}  // namespace

Result<std::vector<sys::UniqueFd>> open_bind_trees(const Spec& spec, const std::string& bundle,
                                                   bool all) {
  std::vector<sys::UniqueFd> trees;
  trees.reserve(spec.mounts.size());
  sys::UniqueFd container_ns;  // made (or opened) once, for "idmap" alone
  for (auto& m : spec.mounts) {
    MountOptions o = parse_mount_options(m.options);
    int fd = -1;
    if (is_bind(m, o) && m.type != "cgroup" && (all || m.idmap)) {
      std::string source = bind_source(m, bundle);
      fd = detached_clone(AT_FDCWD, source.c_str(), 0, o.flags & MS_REC);
      // The tree is taken here, where the host's root can reach the
      // source; a path mounted from inside the user namespace may not be
      // reachable there, so there is no mount(2) fallback.
      if (fd == -ENOSYS)
        return sys_error(
            ENOSYS,
            fmt::format("mount {}: {} needs open_tree (Linux 5.2)", m.destination,
                        m.idmap ? "an id-mapped mount" : "a bind mount into a user namespace"));
      if (fd < 0) return sys_error(-fd, fmt::format("mount {}: source {}", m.destination, source));
    }
    trees.emplace_back(fd);
    if (fd < 0 || !m.idmap) continue;
    sys::UniqueFd own;
    int ns = -1;
    if (!m.uid_mappings.empty()) {
      RINGC_TRY(own, mapping_user_ns(m.uid_mappings, m.gid_mappings));
      ns = own.get();
    } else {
      if (container_ns.get() < 0) {
        const Namespace* user = spec.linux_cfg.find(NsType::user);
        if (user && !user->path.empty()) {
          container_ns = sys::UniqueFd(::open(user->path.c_str(), O_RDONLY | O_CLOEXEC));
          if (container_ns.get() < 0) return sys_error(errno, "open user namespace " + user->path);
        } else {
          RINGC_TRY(container_ns,
                    mapping_user_ns(spec.linux_cfg.uid_mappings, spec.linux_cfg.gid_mappings));
        }
      }
      ns = container_ns.get();
    }
    RINGC_TRY(idmap_tree(fd, ns, m.idmap_recursive, m));
  }
  return trees;
}

namespace {
// tree: the parent's clone of a bind source (user namespaces), or -1.
Result<void> mount_one(const SpawnPlan& plan, int rootfd, const Mount& m, int tree) {
  MountOptions o = parse_mount_options(m.options);
  if (dev_read_only(m)) o.flags &= ~MS_RDONLY;
  bool bind = is_bind(m, o);
  if (m.type == "proc" || m.type == "sysfs") {
    RINGC_TRY(ordinary_directory(rootfd, m));
  }
  std::string source = bind ? bind_source(m, plan.bundle) : m.source;
  bool file = false;
  if (bind) {
    struct stat st;
    if ((tree >= 0 ? ::fstat(tree, &st) : ::stat(source.c_str(), &st)) < 0)
      return sys_error(errno, fmt::format("mount {}: source {}", m.destination, source));
    file = !S_ISDIR(st.st_mode);
  }
  RINGC_TRY(auto fd, open_in_root(rootfd, m.destination, file));
  std::string target = fd_path(fd);
  Result<void> r = outcome::success();
  unsigned long keep = 0;  // flags only a bind remount can set
  if (m.type == "cgroup") {
    r = mount_cgroup(plan, rootfd, m, o, target);
  } else if (bind && tree >= 0) {
    // Onto the fd itself: through its /proc/self/fd link move_mount is EINVAL.
    if (::move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      r = sys_error(errno, fmt::format("mount {} on {}", source, m.destination));
    keep = o.flags & ~(MS_REC | MS_BIND | MS_REMOUNT);
  } else if (bind) {
    r = do_mount(source.c_str(), target, nullptr, MS_BIND | (o.flags & MS_REC), nullptr,
                 m.destination);
    keep = o.flags & ~(MS_REC | MS_BIND | MS_REMOUNT);
  } else {
    r = mount_fs(rootfd, m, o, fd, target);
  }
  ::close(fd);
  RINGC_TRY(r);
  if (!keep && !o.propagation && !o.rec_set && !o.rec_clear) return outcome::success();
  return on_mounted(rootfd, m.destination, file, [&](const std::string& t) -> Result<void> {
    if (keep) {
      RINGC_TRY(remount_bind(t, keep, m.destination));
    }
    if (o.rec_set || o.rec_clear) {
      mount_attr attr{};
      attr.attr_set = o.rec_set;
      attr.attr_clr = o.rec_clear;
      if (::mount_setattr(AT_FDCWD, t.c_str(), AT_RECURSIVE, &attr, sizeof attr) < 0)
        return sys_error(errno,
                         fmt::format("mount {}: recursive options need mount_setattr (Linux 5.12)",
                                     m.destination));
    }
    if (o.propagation) return do_mount(nullptr, t, nullptr, o.propagation, nullptr, m.destination);
    return outcome::success();
  });
}

struct DefaultDevice {
  const char* name;
  unsigned major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {{"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
                                             {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

// In dirfd (the parent, already resolved inside the root). The child runs
// with umask 0 and as root, so mode and owner need no second syscall in
// the common case.
Result<void> make_device(int dirfd, const std::string& path, mode_t type, dev_t dev, mode_t mode,
                         uid_t uid, gid_t gid) {
  const char* name = path.c_str() + path.rfind('/') + 1;
  int r = ::mknodat(dirfd, name, type | (mode & 07777), dev);
  if (r < 0 && errno == EEXIST) {
    ::unlinkat(dirfd, name, 0);
    r = ::mknodat(dirfd, name, type | (mode & 07777), dev);
  }
  if (r == 0 && (mode & 07000)) r = ::fchmodat(dirfd, name, mode & 07777, 0);
  if (r == 0 && (uid != 0 || gid != 0)) r = ::fchownat(dirfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
  if (r < 0) return sys_error(errno, "mknod " + path);
  return outcome::success();
}

// In a user namespace mknod is not allowed: the host's node is bound onto
// an empty file instead, as runc does. The host path is the device's own
// path (default devices: /dev/<name>).
Result<void> bind_device(int dirfd, const std::string& path, const std::string& host_path) {
  const char* name = path.c_str() + path.rfind('/') + 1;
  int fd = ::openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return sys_error(errno, "create " + path);
  ::close(fd);
  std::string target = fmt::format("/proc/self/fd/{}/{}", dirfd, name);
  if (::mount(host_path.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) < 0)
    return sys_error(errno, "bind " + host_path + " onto " + path);
  return outcome::success();
}

Result<void> setup_dev(const Spec& spec, int rootfd, bool userns) {
  bool dev_is_new = false;
  for (auto& m : spec.mounts)
    if (m.destination == "/dev" && m.type != "bind") dev_is_new = true;
  if (dev_is_new) {
    RINGC_TRY(auto dfd, open_in_root(rootfd, "/dev", false));
    Result<void> r = outcome::success();
    for (auto& d : kDefaultDevices) {
      std::string path = std::string("/dev/") + d.name;
      r = userns ? bind_device(dfd, path, path)
                 : make_device(dfd, path, S_IFCHR, makedev(d.major, d.minor), 0666, 0, 0);
      if (!r) break;
    }
    const char* links[][2] = {{"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
                              {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                              {"pts/ptmx", "ptmx"},          {"/proc/kcore", "core"}};
    for (auto& l : links) {
      if (!r) break;
      if (::symlinkat(l[0], dfd, l[1]) < 0 && errno != EEXIST)
        r = sys_error(errno, fmt::format("symlink /dev/{}", l[1]));
    }
    ::close(dfd);
    RINGC_TRY(r);
  }
  for (auto& d : spec.linux_cfg.devices) {
    mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
    size_t slash = d.path.rfind('/');
    RINGC_TRY(auto dfd, open_in_root(rootfd, slash == 0 ? "/" : d.path.substr(0, slash), false));
    auto r = userns ? bind_device(dfd, d.path, d.path)
                    : make_device(dfd, d.path, type, makedev(unsigned(d.major), unsigned(d.minor)),
                                  d.file_mode.value_or(0666), d.uid.value_or(0), d.gid.value_or(0));
    ::close(dfd);
    RINGC_TRY(r);
  }
  return outcome::success();
}

Result<void> write_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  for (size_t i = 10; i < path.size(); ++i)
    if (path[i] == '.') path[i] = '/';
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, "sysctl " + key);
  ssize_t n = ::write(fd, value.data(), value.size());
  int e = errno;
  ::close(fd);
  if (n < 0) return sys_error(e, "sysctl " + key);
  return outcome::success();
}
}  // namespace

Result<std::string> canonical_in_root(int rootfd, std::string_view path) {
  std::vector<std::string> done;
  std::deque<std::string> todo;
  auto push_front_all = [&](std::string_view p) {
    std::vector<std::string> parts;
    size_t pos = 0;
    while (pos <= p.size()) {
      size_t slash = p.find('/', pos);
      if (slash == std::string_view::npos) slash = p.size();
      parts.emplace_back(p.substr(pos, slash - pos));
      pos = slash + 1;
    }
    todo.insert(todo.begin(), parts.begin(), parts.end());
  };
  push_front_all(path);
  int links = 0;
  bool missing = false;  // past a component that does not exist: lexical only
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();  // never above the root
      continue;
    }
    if (missing) {
      done.push_back(c);
      continue;
    }
    std::string rel;
    for (auto& d : done) rel += d + "/";
    rel += c;
    struct stat st;
    if (::fstatat(rootfd, rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno != ENOENT) return sys_error(errno, "resolve " + std::string(path) + " in rootfs");
      missing = true;
      done.push_back(c);
      continue;
    }
    if (!S_ISLNK(st.st_mode)) {
      done.push_back(c);
      continue;
    }
    if (++links > 40) return sys_error(ELOOP, "resolve " + std::string(path) + " in rootfs");
    char target[PATH_MAX];
    ssize_t n = ::readlinkat(rootfd, rel.c_str(), target, sizeof target - 1);
    if (n < 0) return sys_error(errno, "readlink " + rel + " in rootfs");
    target[n] = '\0';
    if (target[0] == '/') done.clear();  // absolute: from the container's root
    push_front_all(target);
  }
  std::string out;
  for (auto& d : done) out += "/" + d;
  return out.empty() ? "/" : out;
}

namespace {
// open_in_root's short way: nullopt when it does not apply (the parent is
// missing too, the name is not a plain one, or it exists after all), else
// the fd or the error.
std::optional<Result<int>> make_last(int rootfd, const std::string& path, bool file) {
  constexpr uint64_t kIn = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return std::nullopt;
  std::string name = path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") return std::nullopt;
  std::string parent = slash == 0 ? "/" : path.substr(0, slash);
  long dir = sys::openat2(rootfd, parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, kIn);
  if (dir < 0) return std::nullopt;
  sys::UniqueFd d{static_cast<int>(dir)};
  int r;
  if (file) {
    r = ::openat(d.get(), name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
    if (r >= 0) ::close(r);
  } else {
    r = ::mkdirat(d.get(), name.c_str(), 0755);
  }
  // There after all (a race, or a dangling link the walk below follows).
  if (r < 0 && errno == EEXIST) return std::nullopt;
  if (r < 0) return sys_error(errno, "create " + path + " in rootfs");
  int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (file ? 0 : O_DIRECTORY);
  int fd = ::openat(d.get(), name.c_str(), flags);
  if (fd < 0) return sys_error(errno, "open " + path + " in rootfs");
  return fd;
}
}  // namespace

Result<int> open_in_root(int rootfd, std::string_view path, bool file) {
  constexpr uint64_t kIn = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // Existing paths: the kernel resolves inside the root, one syscall.
  std::string given(path);
  long fd = sys::openat2(rootfd, given.c_str(), O_PATH | O_CLOEXEC, kIn);
  if (fd >= 0) return int(fd);
  if (fd != -ENOENT) return neg_error(int(fd), "open " + given + " in rootfs");
  // Only the last component missing (a mount point in a fresh /dev): its
  // parent resolved inside the root by the kernel, the name made there and
  // opened with O_NOFOLLOW. Three syscalls where the walk below takes six.
  if (auto made = make_last(rootfd, given, file)) return *made;
  RINGC_TRY(auto full, canonical_in_root(rootfd, path));
  // Walk down from the root, creating what is missing. Each step opens the
  // next component relative to the last with O_NOFOLLOW: the canonical path
  // has no links, so one appearing now (a race) fails instead of escaping.
  long cur = sys::openat2(rootfd, "/", O_PATH | O_DIRECTORY | O_CLOEXEC, kIn);
  if (cur < 0) return neg_error(int(cur), "open rootfs");
  size_t pos = 1;
  while (pos < full.size()) {
    size_t next = full.find('/', pos);
    if (next == std::string::npos) next = full.size();
    std::string name = full.substr(pos, next - pos);
    bool last = next == full.size();
    pos = next + 1;
    int flags = O_PATH | O_NOFOLLOW | O_CLOEXEC | (last && file ? 0 : O_DIRECTORY);
    int fdn = ::openat(int(cur), name.c_str(), flags);
    if (fdn < 0 && errno == ENOENT) {
      int r;
      if (last && file) {
        r = ::openat(int(cur), name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC,
                     0644);
        if (r >= 0) ::close(r);
      } else {
        r = ::mkdirat(int(cur), name.c_str(), 0755);
      }
      if (r < 0 && errno != EEXIST) {
        int e = errno;
        ::close(int(cur));
        return sys_error(e, "create " + full.substr(0, next) + " in rootfs");
      }
      fdn = ::openat(int(cur), name.c_str(), flags);
    }
    int e = errno;
    ::close(int(cur));
    if (fdn < 0) return sys_error(e, "open " + full.substr(0, next) + " in rootfs");
    cur = fdn;
  }
  return int(cur);
}

constexpr char kEmptyDirName[] = ".ringc-masked";

// The later mount over a directory right under /dev (devpts at /dev/pts,
// mqueue, a tmpfs at /dev/shm): the empty directory for the masked paths
// is made beneath it, where that mount will hide it.
const Mount* cover_under_dev(const Spec& spec, size_t dev_at) {
  for (size_t i = dev_at + 1; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    std::string_view d = m.destination;
    if (!d.starts_with("/dev/") || d.find('/', 5) != std::string_view::npos || d.size() == 5)
      continue;
    if (m.type == "bind" || parse_mount_options(m.options).bind) continue;
    return &m;
  }
  return nullptr;
}

// An empty, read-only directory on the container's own /dev tmpfs, cloned
// detached (open_tree, mount_setattr) to cover the masked directories
// without a tmpfs of their own: each superblock costs the kernel shrinker
// maps sized by every memory cgroup on the host, made when it is mounted
// and walked when each memory cgroup goes. The directory stays, live (a
// removed one would answer writes with ENOENT, not EROFS), under a mount
// point the spec mounts over next, so no one sees its name. Nothing where
// /dev is not a tmpfs of the spec's (a bound /dev would be the host's),
// no later mount can hide it or the kernel lacks the calls: finish_rootfs
// then mounts a tmpfs, as runc does.
RootfsCarry empty_dir_on_dev(const Spec& spec, int rootfd, size_t dev_at) {
  RootfsCarry c;
  const Mount* cover = cover_under_dev(spec, dev_at);
  if (!cover) return c;
  auto dfd = open_in_root(rootfd, "/dev", false);
  if (!dfd) return c;
  sys::UniqueFd dev(dfd.value());
  std::string under = cover->destination.substr(5);
  if (::mkdirat(dev.get(), under.c_str(), 0755) < 0 && errno != EEXIST) return c;
  sys::UniqueFd dir(
      ::openat(dev.get(), under.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (dir.get() < 0 || ::mkdirat(dir.get(), kEmptyDirName, 0755) < 0) return c;
  int tree =
      detached_clone(dir.get(), kEmptyDirName, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, false);
  if (tree >= 0) c.empty_dir = sys::UniqueFd(tree);
  return c;
}

Result<RootfsCarry> setup_rootfs(const SpawnPlan& plan, std::span<const int> bind_trees,
                                 const std::function<Result<void>()>& before_cgroup) {
  const Spec& spec = *plan.spec;
  RINGC_TRY(prepare_root_propagation(spec, plan.rootfs));
  RINGC_TRY(do_mount(plan.rootfs.c_str(), plan.rootfs, nullptr, MS_BIND | MS_REC, nullptr,
                     "rootfs " + plan.rootfs));
  int rootfd = ::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return sys_error(errno, "open rootfs " + plan.rootfs);
  Result<void> r = outcome::success();
  RootfsCarry carry;
  for (size_t i = 0; i < spec.mounts.size() && r; ++i) {
    const Mount& m = spec.mounts[i];
    if (m.type == "cgroup") r = before_cgroup();
    if (r) r = mount_one(plan, rootfd, m, i < bind_trees.size() ? bind_trees[i] : -1);
    if (r && m.destination == "/dev" && m.type == "tmpfs" && !spec.linux_cfg.masked_paths.empty())
      carry = empty_dir_on_dev(spec, rootfd, i);
  }
  if (r) r = setup_dev(spec, rootfd, plan.userns);
  ::close(rootfd);
  if (!r) return r.error();
  return carry;
}

Result<void> finish_rootfs(const Spec& spec, RootfsCarry& carry) {
  for (auto& [k, v] : spec.linux_cfg.sysctl) {
    RINGC_TRY(write_sysctl(k, v));
  }
  // Directories are covered by one empty read-only directory (the carried
  // one, or else a tmpfs), bound again over each after the first: no
  // superblock, or one, instead of one per directory. Files get /dev/null.
  const std::string* empty_dir = nullptr;
  for (auto& p : spec.linux_cfg.masked_paths) {
    struct stat st;
    if (::stat(p.c_str(), &st) < 0) {
      if (errno == ENOENT) continue;
      return sys_error(errno, "masked path " + p);
    }
    int r;
    if (!S_ISDIR(st.st_mode)) {
      r = ::mount("/dev/null", p.c_str(), nullptr, MS_BIND, nullptr);
    } else if (!empty_dir) {
      r = carry.empty_dir.get() >= 0 ? ::move_mount(carry.empty_dir.get(), "", AT_FDCWD, p.c_str(),
                                                    MOVE_MOUNT_F_EMPTY_PATH)
                                     : -1;
      if (r < 0) r = ::mount("tmpfs", p.c_str(), "tmpfs", MS_RDONLY, "size=0k");
      empty_dir = &p;
    } else {
      r = ::mount(empty_dir->c_str(), p.c_str(), nullptr, MS_BIND, nullptr);
    }
    if (r < 0) return sys_error(errno, "mask " + p);
  }
  for (auto& m : spec.mounts) {
    if (!dev_read_only(m)) continue;
    // The mount, not the superblock (whose remount open writers refuse).
    RINGC_TRY(remount_bind("/dev", parse_mount_options(m.options).flags, "/dev read-only"));
  }
  for (auto& p : spec.linux_cfg.readonly_paths) {
    if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0) {
      if (errno == ENOENT) continue;
      return sys_error(errno, "read-only path " + p);
    }
    RINGC_TRY(remount_bind(p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "read-only path " + p));
  }
  if (spec.root_readonly) {
    RINGC_TRY(remount_bind("/", MS_RDONLY, "/ read-only"));
  }
  // Last: an unbindable "/" would refuse the binds above.
  return apply_root_propagation(spec);
}

}  // namespace ringc
