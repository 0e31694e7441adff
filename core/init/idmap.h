// Id maps written for a process's user namespace, and id-mapped mounts
// (MOUNT_ATTR_IDMAP): a detached tree made to show its files' owners
// through a user namespace's maps.
#pragma once

#include <sys/types.h>

#include <vector>

#include "core/base/error.h"
#include "core/base/sys.h"
#include "core/spec/spec.h"

namespace ringc {

// Writes /proc/<pid>/<file> ("uid_map", "gid_map") from maps; errors name
// linux.<file>.
Result<void> write_id_map(pid_t pid, const char* file, const std::vector<IdMapping>& maps);

// Maps the user namespace of process pid. As root: both files written.
// As another user (rootless): a map of just the caller's own uid (gid) is
// written, setgroups denied first as the kernel asks; any other map goes
// through newuidmap/newgidmap (shadow's uidmap package, /etc/subuid and
// /etc/subgid), an error naming them where they are missing.
Result<void> map_user_ns(pid_t pid, const std::vector<IdMapping>& uids,
                         const std::vector<IdMapping>& gids);

// A user namespace with these maps, held by its fd: a child made for it
// in one clone3 (CLONE_NEWUSER) lives only until the fd is open.
Result<sys::UniqueFd> mapping_user_ns(const std::vector<IdMapping>& uids,
                                      const std::vector<IdMapping>& gids);

// Sets MOUNT_ATTR_IDMAP on a detached tree (open_tree OPEN_TREE_CLONE):
// owners on disk are shown through user_ns's maps; recursive: every
// submount too. Errors name the mount.
Result<void> idmap_tree(int tree, int user_ns, bool recursive, const Mount& m);

}  // namespace ringc
