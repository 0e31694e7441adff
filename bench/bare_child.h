// The child side of ringc-bare (bench/bare.cc): one container's kernel
// work with no runtime around it, in the order ringc's init does it.
#pragma once

#include <string>
#include <vector>

namespace ringc::bench {

// How much of the default config the child does.
//   bare:   the floor: mount, net, ipc and uts namespaces unshared
//           by the child (as ringc's init does), a hostname, its cgroups,
//           the root bound, pivot_root, the root read-only, exec.
//   mounts: also the six filesystems the default config mounts (proc, a
//           /dev tmpfs, devpts, a /dev/shm tmpfs, mqueue, read-only sysfs).
//   config: also the rest of what the default config asks of the kernel:
//           its six devices and /dev links, masked and read-only paths,
//           the capability sets cut to its three, no_new_privs, its
//           RLIMIT_NOFILE. (Not its /sys/fs/cgroup view.)
//   process: no container at all: the rootfs's program started as a plain
//           process (posix_spawn, by its path on the host), no namespace,
//           no cgroup, no mount. What running the payload costs with
//           nothing around it: the ceiling of any runtime on this machine.
//           (bare.cc does it; bare_child is not called.)
enum class Setup { bare, mounts, config, process };

// A hierarchy to make a directory in. A v1 cpuset's new directory takes
// no task until its cpus and mems are filled in (from the root's here),
// and gets load balancing off first, as ringc's do (cgroup/manager.cc).
struct Hierarchy {
  std::string path, cpus, mems;
  bool v2 = false, devices = false;  // devices: the v1 devices controller's
};

// Every cgroup hierarchy of the host (cgroup::detect), the v2 one first.
std::vector<Hierarchy> hierarchies();

// What one child does. cgroups[i] is the directory to make and join in
// parents[i] (none where clone3 placed it). With Setup::config the
// default config's device rules apply to device_dir: the preloaded BPF
// program device_prog attached to it on v2, or devices.deny and
// devices.allow written in it on v1.
struct ChildPlan {
  std::string rootfs;
  Setup setup = Setup::bare;
  std::vector<Hierarchy> parents;
  std::vector<std::string> cgroups;
  bool hold = false;  // exec /bin/sleep for good instead of /bin/true
  int device_prog = -1;
  std::string device_dir;
  // A network namespace made once by the parent, joined (setns) instead of
  // a new one: what a container of ringc's warm pool pays (--netns warm).
  int netns_fd = -1;
};

// Runs in the clone3 child (pid 1 of its pid namespace): execs the plan's
// program, or exits with the number of the step that failed after saying
// which on stderr.
[[noreturn]] void bare_child(const ChildPlan& plan);

// The default config's device rules for the children: on a v2 host with
// no v1 devices controller, its BPF program loaded once (the fd, or
// -errno); -ENODATA where v1's files carry them.
int preload_default_device_program();

}  // namespace ringc::bench
