#include "core/pool/cgroup_pool.h"

#include <dirent.h>
#include <linux/capability.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "cgroup/files.h"
#include "cgroup/manager.h"
#include "cgroup/stats.h"
#include "core/pool/confined.h"

namespace ringc {

namespace {
bool read_only(const Mount& m) {
  return std::find(m.options.begin(), m.options.end(), "ro") != m.options.end();
}

// Every counter of a flat keyed file ("key value" lines) reads 0.
bool all_zero(std::string_view text) {
  for (auto& [key, value] : cgroup::parse_flat_keyed(text))
    if (value != 0) return false;
  return true;
}

constexpr const char* kPrefix = "pool-";
}  // namespace

std::optional<std::string> cgroup_unpoolable(const Spec& spec) {
  if (!spec.linux_cfg.cgroups_path.empty()) return "it names its cgroup (/linux/cgroupsPath)";
  if (auto why = unconfined(spec, {{CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}})) return why;
  for (const Mount& m : spec.mounts)
    if ((m.type == "cgroup" || m.type == "cgroup2" || m.type == "sysfs" ||
         m.source.starts_with("/sys")) &&
        !read_only(m))
      return fmt::format("/mounts: {} is writable (it could write its cgroup's files)",
                         m.destination);
  if (spec.hooks.any()) return "it has hooks (one may write the cgroup)";
  return std::nullopt;
}

CgroupPool::CgroupPool(const cgroup::Host& host, unsigned size) : host_(host) {
  entries_.resize(size);
  for (unsigned k = 0; k < size; ++k)
    entries_[k].path = fmt::format("/ringc/{}{}-{}", kPrefix, ::getpid(), k);
}

CgroupPool::~CgroupPool() {
  for (auto& e : entries_)
    if (!e.busy && e.used) remove_dirs(e.path);
}

void CgroupPool::remove_dirs(const std::string& path) {
  for (auto& h : host_.hierarchies) ::rmdir((h.mount + path).c_str());
}

bool CgroupPool::kept(const cgroup::Hierarchy& h) {
  if (h.v2 || h.controllers.empty()) return false;
  return h.each_controller([](std::string_view one) {
    static constexpr std::string_view ok[] = {"freezer",  "pids",      "cpu",     "cpuacct",
                                              "blkio",    "cpuset",    "devices", "net_cls",
                                              "net_prio", "perf_event"};
    return one.starts_with("name=") || std::find(std::begin(ok), std::end(ok), one) != std::end(ok);
  });
}

std::optional<std::string> CgroupPool::reuse(const cgroup::Hierarchy& h, const std::string& dir) {
  int err = 0;
  std::string procs = cgroup::read_text(dir + "/cgroup.procs", &err);
  if (err < 0) return fmt::format("{}: {}", dir, std::strerror(-err));
  if (!procs.empty()) return dir + " still holds processes";
  auto read = [&](const char* f) { return cgroup::read_text(dir + "/" + f); };
  if (h.has("freezer") && read("freezer.state") != "THAWED\n") return dir + " is frozen";
  if (h.has("pids")) {
    if (!all_zero(read("pids.events"))) return dir + ": pids.events counted its limit";
    std::string peak = read("pids.peak");
    if (!peak.empty() && std::strtoll(peak.c_str(), nullptr, 10) > 1)
      return dir + ": pids.peak above 1 (it has no reset)";
  }
  if (h.has("cpu") && !all_zero(read("cpu.stat")))
    return dir + ": cpu.stat counted throttling (it has no reset)";
  if (h.has("cpuacct")) {
    // Read before the reset: on some kernels the write clears the tick
    // counts too, on others it leaves them; a directory that counted any
    // is not reused either way.
    if (!all_zero(read("cpuacct.stat")))
      return dir + ": cpuacct.stat counted ticks (they have no reset)";
    if (cgroup::write_text(dir + "/cpuacct.usage", "0") < 0)
      return dir + ": cpuacct.usage refused its reset";
  }
  if (h.has("blkio") && cgroup::write_text(dir + "/blkio.reset_stats", "1") < 0)
    return dir + ": blkio.reset_stats refused";
  return std::nullopt;
}

std::optional<std::string> CgroupPool::take(const std::shared_ptr<const void>& key) {
  Entry* fresh = nullptr;
  Entry* other = nullptr;
  for (auto& e : entries_) {
    if (e.busy) continue;
    if (e.used && e.key == key) {
      e.busy = true;
      ++stats_.hits;
      return e.path;
    }
    if (!e.used && !fresh) fresh = &e;
    if (e.used && !other) other = &e;
  }
  Entry* e = fresh ? fresh : other;
  if (!e) {
    ++stats_.full;
    return std::nullopt;
  }
  if (e->used) remove_dirs(e->path);  // another template's: its limits are not ours
  e->busy = e->used = true;
  e->key = key;
  ++stats_.misses;
  return e->path;
}

void CgroupPool::give(const std::string& path) {
  auto e = std::find_if(entries_.begin(), entries_.end(),
                        [&](const Entry& x) { return x.path == path; });
  if (e == entries_.end()) return;
  e->busy = false;
  bool all = true;
  for (auto& h : host_.hierarchies) {
    if (!kept(h)) continue;
    std::string dir = h.mount + path;
    if (auto why = reuse(h, dir)) {
      all = false;
      ++stats_.remade;
      stats_.last_remade = *why;
      if (::rmdir(dir.c_str()) < 0 && errno != ENOENT) {
        // Still busy: the path is retired rather than handed on.
        e->busy = true;
        stats_.last_remade += fmt::format(" (rmdir: {}; path retired)", std::strerror(errno));
        return;
      }
    }
  }
  if (all) ++stats_.recycled;
}

void CgroupPool::remove_stale(const cgroup::Host& host) {
  for (auto& h : host.hierarchies) {
    std::string base = h.mount + "/ringc";
    DIR* d = ::opendir(base.c_str());
    if (!d) continue;
    std::vector<std::string> stale;
    while (dirent* ent = ::readdir(d)) {
      std::string_view name = ent->d_name;
      if (!name.starts_with(kPrefix)) continue;
      pid_t pid = pid_t(std::strtol(ent->d_name + std::strlen(kPrefix), nullptr, 10));
      if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) < 0 && errno == ESRCH)
        stale.push_back(base + "/" + std::string(name));
    }
    ::closedir(d);
    for (auto& dir : stale) ::rmdir(dir.c_str());
  }
}

}  // namespace ringc
