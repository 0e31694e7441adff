// Recycled cgroup directories for the engine (issue 21). Making and
// removing a container's ten v1 directories and its v2 one is, on a
// hybrid host, about half of what the kernel does for a container (the
// files of each directory, and their freeing in workers afterwards).
// With a pool, a container of a template (the engine's shared Prepared:
// a batch's bundle) gets a pooled cgroup path, /ringc/pool-<pid>-<k>,
// and when it is gone the directories whose counters a reset brings back
// to a fresh one's are kept for the next container of that template.
//
// The rule, all of it needed:
// - who may use one (cgroup_unpoolable): a container that could not
//   change its cgroup: no linux.cgroupsPath, a pid namespace of its own
//   (every process of it dies with its init, so the cgroup is empty
//   after), no user namespace, no CAP_SYS_ADMIN, every cgroupfs and sysfs
//   mount and every bind from /sys read-only, no hooks;
// - which directories are kept (kept): those of v1 hierarchies whose
//   controllers are all of freezer, pids, cpu, cpuacct, blkio, cpuset,
//   devices, net_cls, net_prio, perf_event and named ones (systemd).
//   Memory (memory.stat's event counts, its OOM kills), hugetlb, every
//   other controller and every v2 directory (cpu.stat's usage, which
//   nothing resets) are removed as ever and made fresh for the next one;
// - what is checked and reset when one is given back (reuse): it holds
//   no process; freezer THAWED; pids.events "max 0" and pids.peak at
//   most 1 (what a fresh one reads once the init is in); cpu.stat all
//   zero (no throttling counted); cpuacct.stat zero (its tick counts
//   have no reset on every kernel), then cpuacct.usage reset to 0;
//   blkio.reset_stats written. A directory failing any of it is removed, and the next
//   container makes it fresh. The limits are the template's, written
//   again by every container that takes the path.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cgroup/layout.h"
#include "core/spec/spec.h"

namespace ringc {

// Why containers of this spec may not use a pooled cgroup, or nothing.
std::optional<std::string> cgroup_unpoolable(const Spec& spec);

struct CgroupPoolStats {
  uint64_t hits = 0;        // a path given back, its kept directories reused
  uint64_t misses = 0;      // a path never used before (or evicted): made fresh
  uint64_t full = 0;        // every path in use: the container got its own
  uint64_t recycled = 0;    // given back with every kept directory reusable
  uint64_t remade = 0;      // kept directories removed by the check (made fresh next time)
  std::string last_remade;  // why, the last time
};

class CgroupPool {
 public:
  // Up to `size` paths /ringc/pool-<this pid>-<k> in the hierarchies of host.
  CgroupPool(const cgroup::Host& host, unsigned size);
  ~CgroupPool();  // removes the directories of the paths not in use
  CgroupPool(const CgroupPool&) = delete;
  CgroupPool& operator=(const CgroupPool&) = delete;

  unsigned size() const { return unsigned(entries_.size()); }
  // A path for a container of template `key`: one given back by a
  // container of the same template, else one never used (or evicted from
  // another template, its directories removed); nullopt when all are in
  // use.
  std::optional<std::string> take(const std::shared_ptr<const void>& key);
  // The container with `path` is gone and its directories that are not
  // kept were removed: checks and resets the kept ones and frees the path.
  void give(const std::string& path);
  const CgroupPoolStats& stats() const { return stats_; }

  // The hierarchies whose directory is kept across containers.
  static bool kept(const cgroup::Hierarchy& h);
  // Whether a kept directory may serve the next container, after resetting
  // what resets: nullopt, or why not.
  static std::optional<std::string> reuse(const cgroup::Hierarchy& h, const std::string& dir);
  // Directories of pools whose engine is gone (a daemon killed), removed.
  static void remove_stale(const cgroup::Host& host);

 private:
  struct Entry {
    std::string path;
    std::shared_ptr<const void> key;  // the template it holds directories for
    bool busy = false, used = false;
  };
  void remove_dirs(const std::string& path);
  const cgroup::Host& host_;
  std::vector<Entry> entries_;
  CgroupPoolStats stats_;
};

}  // namespace ringc
