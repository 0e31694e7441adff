// Switching the init's root: the propagation of "/" around the switch,
// pivot_root, and --no-pivot's move onto "/".
#include <sys/mount.h>
#include <unistd.h>

#include <fcntl.h>

#include <fmt/format.h>

#include <algorithm>

#include "core/base/sys.h"
#include "core/init/mountinfo.h"
#include "core/init/rootfs.h"

namespace ringc {

namespace {
Result<void> set_propagation(const std::string& point, unsigned long prop, std::string_view what) {
  if (::mount(nullptr, point.c_str(), nullptr, prop, nullptr) < 0)
    return sys_error(errno, fmt::format("make {} {}", point, what));
  return outcome::success();
}

unsigned long configured(const Spec& spec) {
  if (spec.linux_cfg.rootfs_propagation.empty()) return 0;
  return parse_mount_options({spec.linux_cfg.rootfs_propagation}).propagation;
}

// The mount that holds `rootfs` (the deepest mount point at or above it),
// and "/" too where "/" is its namespace's root: pivot_root refuses a new
// root whose parent mount is shared, and a bind of the rootfs made on a
// shared mount would appear in the host's peers.
Result<void> make_parent_private(const std::string& rootfs) {
  RINGC_TRY(auto mounts, read_mountinfo());
  const MountEntry* holder = nullptr;
  for (auto& m : mounts) {
    if (path_within(rootfs, m.point) && (!holder || m.point.size() >= holder->point.size()))
      holder = &m;
    if (m.point == "/" && m.parent == m.id && m.shared) {
      RINGC_TRY(set_propagation("/", MS_PRIVATE, "private (namespace root)"));
    }
  }
  if (holder && holder->shared) {
    RINGC_TRY(set_propagation(holder->point, MS_PRIVATE, "private (the rootfs's mount)"));
  }
  return outcome::success();
}
}  // namespace

Result<void> prepare_root_propagation(const Spec& spec, const std::string& rootfs) {
  unsigned long prop = configured(spec);
  // Before the switch, "/" takes the configured propagation as runc gives
  // it: shared keeps the host's peer groups, which a Bidirectional
  // (rshared) bind then joins, so mounts made in it reach the host. An
  // unbindable "/" would refuse the rootfs bind: that waits for after.
  unsigned long before = prop && !(prop & MS_UNBINDABLE) ? prop : MS_SLAVE | MS_REC;
  RINGC_TRY(set_propagation("/", before, "(rootfsPropagation)"));
  // A recursive slave or private "/" cannot pass our mounts to the host;
  // otherwise the mount under the rootfs is made private first.
  if ((before & MS_SHARED) || !(before & MS_REC)) {
    RINGC_TRY(make_parent_private(rootfs));
  }
  return outcome::success();
}

Result<void> apply_root_propagation(const Spec& spec) {
  unsigned long prop = configured(spec);
  if (!prop) return outcome::success();
  return set_propagation("/", prop,
                         "(rootfsPropagation " + spec.linux_cfg.rootfs_propagation + ")");
}

Result<void> pivot_into(const std::string& rootfs) {
  int oldroot = ::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  int newroot = ::open(rootfs.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0 || newroot < 0) return sys_error(errno, "open rootfs for pivot_root");
  // pivot_root(".", "."): the old root ends up stacked under the new one,
  // then is detached; no directory for it is needed in the rootfs.
  Result<void> r = outcome::success();
  if (::fchdir(newroot) < 0)
    r = sys_error(errno, "chdir rootfs");
  else if (int e = sys::pivot_root(".", "."); e < 0)
    r = neg_error(e, "pivot_root");
  else if (::fchdir(oldroot) < 0)
    r = sys_error(errno, "chdir old root");
  else if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
    r = sys_error(errno, "make old root slave");
  else if (::umount2(".", MNT_DETACH) < 0)
    r = sys_error(errno, "unmount old root");
  else if (::chdir("/") < 0)
    r = sys_error(errno, "chdir /");
  ::close(oldroot);
  ::close(newroot);
  return r;
}

Result<void> move_root_into(const std::string& rootfs) {
  // After the move and chroot the host's mounts stay in this namespace.
  // Every one that is neither the rootfs's nor above it is detached (as a
  // slave first, so that nothing reaches the host): a host procfs or
  // sysfs left visible would let a nested user namespace mount a fresh,
  // unmasked proc (the kernel's mount_too_revealing check).
  RINGC_TRY(auto mounts, read_mountinfo());
  std::sort(mounts.begin(), mounts.end(),
            [](const MountEntry& a, const MountEntry& b) { return a.point < b.point; });
  for (auto& m : mounts) {
    if (path_within(m.point, rootfs) || path_within(rootfs, m.point)) continue;
    // Gone already, under a parent detached before it: ENOENT or EINVAL.
    if (::mount(nullptr, m.point.c_str(), nullptr, MS_SLAVE | MS_REC, nullptr) < 0) {
      if (errno == ENOENT || errno == EINVAL) continue;
      return sys_error(errno, "make " + m.point + " slave");
    }
    if (::umount2(m.point.c_str(), MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
      return sys_error(errno, "detach " + m.point);
  }
  if (::chdir(rootfs.c_str()) < 0) return sys_error(errno, "chdir rootfs");
  // A shared "/" would copy the rootfs onto the host's "/" with the move.
  RINGC_TRY(set_propagation("/", MS_PRIVATE, "private"));
  if (::mount(rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) < 0)
    return sys_error(errno, "move rootfs onto /");
  if (::chroot(".") < 0) return sys_error(errno, "chroot rootfs");
  if (::chdir("/") < 0) return sys_error(errno, "chdir /");
  return outcome::success();
}

}  // namespace ringc
