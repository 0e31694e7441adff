// One container's cgroup across every hierarchy of the host: create, place,
// signal, destroy. `path` is the cgroup path inside each hierarchy, e.g.
// "/ringc/web". Limits (linux.resources) are applied by cgroup/resources.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/layout.h"

namespace ringc::cgroup {

// Which hierarchies an operation covers: a create makes the v2 directory
// before clone3 (CLONE_INTO_CGROUP needs it) and the v1 ones after, while
// the child is busy with its own setup.
enum class Part { all, v2, v1 };

// Makes the directory in the hierarchies of `part` (parents as needed; v1
// cpuset levels get their parent's cpus and mems; on a unified host each
// parent enables its available controllers for the child). On failure
// nothing of this call is left.
Result<void> create(const Host& host, std::string_view path, Part part = Part::all);

// An O_PATH fd on the v2 directory, for clone3's CLONE_INTO_CGROUP; -1 when
// the host has no v2 hierarchy.
Result<int> open_v2_dir(const Host& host, std::string_view path);

// In the child, while it is single-threaded: moves the calling process
// (pid 0) into `path` of every v1 hierarchy (writes "0" to tasks):
// joining costs the child's core, not the caller's. The parent places a
// child this way (its pid) when the child, in a user namespace of its
// own, may not. Returns -errno.
int join_self_v1(const Host& host, std::string_view path, pid_t pid = 0);

// Makes `controller` available to `path` in the v2 hierarchy by enabling
// it in each parent's cgroup.subtree_control (a hybrid host delegates
// nothing by default). Best effort: a parent that refuses leaves the
// container without the files, and the write of a limit then says so.
void enable_controller(const Host& host, std::string_view path, const char* controller);

// Pids in the cgroup (from the v2 hierarchy where present).
Result<std::vector<pid_t>> pids(const Host& host, std::string_view path);

// Sends sig to every process in the cgroup; SIGKILL uses cgroup.kill where
// the kernel has it.
Result<void> signal_all(const Host& host, std::string_view path, int sig);

// Removes the directory from every hierarchy. EBUSY (processes still
// exiting, or sub-cgroups, which it kills and removes for the next try)
// is returned as is: the caller retries on a timer.
Result<void> destroy(const Host& host, std::string_view path);
// The sub-cgroups below path in every hierarchy, deepest first, each one's
// processes killed before its rmdir (destroy does this for a busy one).
void remove_descendants(const Host& host, std::string_view path);

// For a ringc that is not root: the first file or directory that keeps it
// from making `path` and moving a process into it, in any hierarchy (the
// nearest directory there is to make it in, or its cgroup.procs if it is
// there; on v2 also the cgroup.procs of the cgroup it shares with this
// process's, as the kernel's delegation rules ask), or nullopt when it
// may in every one: a subtree delegated to its user.
std::optional<std::string> unwritable(const Host& host, std::string_view path);

// True when the directory exists in any hierarchy.
bool exists(const Host& host, std::string_view path);

// The default path of a container with no linux.cgroupsPath.
std::string default_path(std::string_view id);
// linux.cgroupsPath resolved: absolute as is; relative under /ringc;
// runc's systemd form "slice:prefix:name" as a cgroupfs path.
std::string resolve_path(std::string_view cgroups_path, std::string_view id);
// The path has a ".." part (parts end at '/' or, in the systemd form, at
// ':'): it could climb out of where it is put.
bool climbs(std::string_view path);

}  // namespace ringc::cgroup
