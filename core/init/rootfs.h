// In-child filesystem setup: the rootfs, the spec's mounts, /dev, then
// pivot_root and the post-pivot protections. Every path from the bundle is
// resolved inside the rootfs (openat2 RESOLVE_IN_ROOT): a symlink in the
// rootfs cannot send a mount, a mkdir or a mknod outside it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "core/base/error.h"
#include "core/base/sys.h"
#include "core/init/plan.h"

namespace ringc {

// Mount flags and propagation parsed from a mount's options; what is not a
// flag is passed to the filesystem as data ("mode=755,size=65536k").
struct MountOptions {
  unsigned long flags = 0;
  unsigned long clear = 0;  // flags an option turned off ("rw", "dev")
  unsigned long propagation = 0;
  uint64_t rec_set = 0, rec_clear = 0;  // MOUNT_ATTR_* of the rro family, for every submount
  bool bind = false;
  bool copy_up = false;  // runc's tmpcopyup: a tmpfs starts as a copy of what it covers
  std::string data;
};
MountOptions parse_mount_options(const std::vector<std::string>& options);
// Every option parse_mount_options knows (for `ringc features`).
std::vector<std::string_view> mount_option_names();

// Opens path (absolute, as seen in the container) inside root, creating
// missing directories, and the last component as a directory or, with
// file=true, an empty file. Returns an O_PATH fd.
Result<int> open_in_root(int rootfd, std::string_view path, bool file);
// path with every symlink resolved inside the root (".." stops at the
// root, absolute link targets restart from it), like runc's securejoin.
Result<std::string> canonical_in_root(int rootfd, std::string_view path);

// The parent's part of SpawnPlan::bind_trees: a detached clone of each
// bind source of the spec (recursive for "rbind"; only the id-mapped ones
// unless `all`), -1 for other mounts. Bundle-relative sources are taken
// from `bundle`. An id-mapped one gets MOUNT_ATTR_IDMAP: its own maps, or
// those of the container's user namespace (joined by path, or its maps).
Result<std::vector<sys::UniqueFd>> open_bind_trees(const Spec& spec, const std::string& bundle,
                                                   bool all = true);

// What setup_rootfs leaves for finish_rootfs, across pivot_root.
struct RootfsCarry {
  // A detached, read-only clone of an empty directory made on the
  // container's own /dev tmpfs (beneath a later mount point, hidden), to
  // cover the masked directories without a superblock of their own; -1
  // where there is none (finish_rootfs mounts a tmpfs instead).
  sys::UniqueFd empty_dir;
};

// Mounts in the spec's order; before the first cgroup mount it calls
// before_cgroup (the child joins its cgroups and cgroup namespace there).
// bind_trees: SpawnPlan::bind_trees, where the child has them now.
Result<RootfsCarry> setup_rootfs(const SpawnPlan& plan, std::span<const int> bind_trees,
                                 const std::function<Result<void>()>& before_cgroup);

// pivot.cc. rootfsPropagation as runc applies it: to "/" before the
// rootfs is bound (with the mount under the rootfs made private where the
// bind could reach the host), and to the new "/" after the switch.
Result<void> prepare_root_propagation(const Spec& spec, const std::string& rootfs);
Result<void> apply_root_propagation(const Spec& spec);
Result<void> pivot_into(const std::string& rootfs);
// --no-pivot (runc's, for a rootfs on ramfs, where pivot_root fails): the
// rootfs is moved onto / and chrooted into, every other mount detached
// first. The host's root stays beneath it, so it is weaker than
// pivot_root; runc says the same.
Result<void> move_root_into(const std::string& rootfs);
// After pivot_root: sysctls, masked and read-only paths, read-only root.
Result<void> finish_rootfs(const Spec& spec, RootfsCarry& carry);

}  // namespace ringc
