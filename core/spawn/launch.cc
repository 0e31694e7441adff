#include "core/spawn/launch.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "cgroup/freezer.h"
#include "cgroup/manager.h"
#include "cgroup/resources.h"
#include "core/base/id.h"
#include "core/base/sys.h"
#include "core/init/idmap.h"
#include "core/init/process_setup.h"
#include "core/init/rootfs.h"
#include "core/store/observe.h"

namespace ringc {

namespace {
Result<std::string> real_dir(const std::string& path, std::string_view what) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf)) return sys_error(errno, fmt::format("{} {}", what, path));
  struct stat st;
  if (::stat(buf, &st) < 0 || !S_ISDIR(st.st_mode))
    return sys_error(ENOTDIR, fmt::format("{} {}", what, path));
  return std::string(buf);
}

// The id maps of a user namespace the init joined, as the host reads
// them, against those config.json gives (CRI runtimes give both): the
// same set, or an error naming the field.
Result<void> check_joined_maps(const char* file, const std::vector<IdMapping>& given,
                               const Spawned& child, const std::string& ns) {
  if (given.empty()) return outcome::success();
  std::string path = fmt::format("/proc/{}/{}", child.pid, file);
  RINGC_TRY(auto text, read_file(path));
  std::vector<std::string> have, want;
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    unsigned long a, b, n;
    if (std::sscanf(text.c_str() + at, "%lu %lu %lu", &a, &b, &n) == 3)
      have.push_back(fmt::format("{} {} {}", a, b, n));
    at = nl == std::string::npos ? text.size() : nl + 1;
  }
  for (auto& m : given) want.push_back(fmt::format("{} {} {}", m.container_id, m.host_id, m.size));
  std::sort(have.begin(), have.end());
  std::sort(want.begin(), want.end());
  if (have == want) return outcome::success();
  std::string field = std::string_view(file) == "uid_map" ? "uidMappings" : "gidMappings";
  return ringc_error(Errc::bad_spec,
                     fmt::format("config.json: /linux/{}: does not match the user namespace {} "
                                 "it joins (its {}: {})",
                                 field, ns, file, fmt::join(have, ", ")));
}

// A child in a user namespace of its own has no say over the host: the
// parent writes its id maps, makes its v1 cgroups with their limits and
// moves it in, then lets it go on. One that joined a user namespace by
// path has its maps already; given ones must be the same.
Result<void> map_and_place(const cgroup::Host& host, const Spec& spec, const std::string& cg,
                           const Spawned& child) {
  const Namespace* user = spec.linux_cfg.find(NsType::user);
  if (user && !user->path.empty()) {
    RINGC_TRY(check_joined_maps("uid_map", spec.linux_cfg.uid_mappings, child, user->path));
    RINGC_TRY(check_joined_maps("gid_map", spec.linux_cfg.gid_mappings, child, user->path));
  } else {
    RINGC_TRY(map_user_ns(child.pid, spec.linux_cfg.uid_mappings, spec.linux_cfg.gid_mappings));
  }
  RINGC_TRY(make_v1_cgroups(host, spec, cg));
  if (int r = cgroup::join_self_v1(host, cg, child.pid); r < 0)
    return neg_error(r, "move the init into cgroup " + cg);
  if (!send_go(child.sock, Go::mapped)) return sys_error(errno, "release the init");
  return outcome::success();
}
}  // namespace

RecordFields record_fields(const Prepared& p, std::string_view id, std::string_view cg, pid_t pid,
                           uint64_t start_time, fsm::State s) {
  RecordFields f;
  f.pid = pid;
  f.status = s;
  f.start_time = start_time;
  f.created_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  f.owner = ::getuid();
  if (p.spec.hooks.after_create()) f.flags |= kRecordHooks;
  f.id = id;
  f.bundle = p.bundle;
  f.rootfs = p.rootfs;
  f.cgroup = cg;
  f.oci_version = p.spec.oci_version;
  for (auto& [k, v] : p.spec.annotations) f.annotations.emplace_back(k, v);
  return f;
}

RecordFields intent_fields(const Prepared& p, std::string_view id, std::string_view cg) {
  // This process, named by pid and start time (read once per process).
  static pid_t cached_pid = 0;
  static uint64_t cached_start = 0;
  if (cached_pid != ::getpid()) {
    cached_pid = ::getpid();
    cached_start = process_start_time(cached_pid).value_or(0);
  }
  RecordFields f = record_fields(p, id, cg, cached_pid, cached_start, fsm::State::creating);
  f.flags |= kRecordIntent;
  return f;
}

Result<Prepared> prepare(std::string_view id, const std::string& bundle) {
  RINGC_TRY(validate_id(id));
  Prepared p;
  RINGC_TRY(p.bundle, real_dir(bundle, "bundle"));
  RINGC_TRY(p.spec, load_spec(p.bundle));
  RINGC_TRY(lsm_check(p.spec));
  std::string root =
      p.spec.root_path[0] == '/' ? p.spec.root_path : p.bundle + "/" + p.spec.root_path;
  RINGC_TRY(p.rootfs, real_dir(root, "rootfs"));
  p.cgroup_path = cgroup::resolve_path(p.spec.linux_cfg.cgroups_path, id);
  if (p.spec.process.capabilities) last_cap();
  return p;
}

Result<std::string> rootless_cgroup(const cgroup::Host& host, const Prepared& p, std::string cg) {
  uid_t euid = ::geteuid();
  if (euid == 0) return cg;
  auto blocked = cgroup::unwritable(host, cg);
  if (!blocked) return cg;
  const Linux& l = p.spec.linux_cfg;
  if (!l.cgroups_path.empty())
    return ringc_error(Errc::bad_spec,
                       fmt::format("{}/config.json: /linux/cgroupsPath: applying cgroup "
                                   "configuration for {} as uid {}: {}: permission denied (a "
                                   "rootless container's cgroup must be in a subtree delegated "
                                   "to its user)",
                                   p.bundle, cg, euid, *blocked));
  cgroup::Resources limits = l.resources;
  limits.devices.clear();  // nothing to guard: no mknod in a user namespace
  if (!limits.empty())
    return ringc_error(Errc::bad_spec,
                       fmt::format("{}/config.json: /linux/resources: rootless needs no limits + "
                                   "no cgrouppath when no permission is granted for cgroups ({} "
                                   "is not writable by uid {}; give the container a "
                                   "linux.cgroupsPath in a subtree delegated to its user)",
                                   p.bundle, *blocked, euid));
  return std::string();
}

namespace {
// A cgroup that is there before the container (a cgroupsPath an engine
// made, or one left behind), as runc checks it: frozen, the init would
// block in it for ever, so create fails; holding processes is a warning.
Result<void> check_existing_cgroup(const cgroup::Host& host, const std::string& cg,
                                   const LaunchOptions& lo) {
  // One stat, in the hierarchy that says the most (runc checks one too):
  // the v2 one, else v1's freezer; on the hot path the cgroup is new.
  const cgroup::Hierarchy* h = host.v2() ? host.v2() : host.v1("freezer");
  if (!h && !host.hierarchies.empty()) h = &host.hierarchies.front();
  struct stat st;
  if (!h || ::stat((h->mount + cg).c_str(), &st) < 0) return outcome::success();
  if (auto frozen = cgroup::is_frozen(host, cg); frozen && frozen.value())
    return ringc_error(Errc::bad_spec,
                       fmt::format("container's cgroup unexpectedly frozen ({})", cg));
  auto pids = cgroup::pids(host, cg);
  if (pids && !pids.value().empty() && lo.warn)
    (*lo.warn)(fmt::format("container's cgroup {} is not empty: {} process(es) found", cg,
                           pids.value().size()));
  return outcome::success();
}
}  // namespace

Result<void> begin_launch(const cgroup::Host& host, const Prepared& p, const std::string& cg,
                          const std::string& fifo, const InitOptions& init, Launch& out,
                          const LaunchOptions& lo) {
  Timeline* tl = lo.tl;
  if (p.spec.process.terminal && init.console_fd < 0)
    return ringc_error(Errc::bad_usage,
                       p.bundle +
                           "/config.json: /process/terminal is true: the pty needs somewhere to "
                           "go: --console-socket, or a foreground run (the daemon has neither)");
  auto mark = [tl](const char* phase) {
    if (tl) tl->mark(phase);
  };
  if (auto why = cgroup::unsupported(host, p.spec.linux_cfg.resources))
    return ringc_error(Errc::bad_spec,
                       fmt::format("{}/config.json: /linux/resources{}", p.bundle, *why));
  if (!lo.v2_made || lo.v2_existed) {
    RINGC_TRY(check_existing_cgroup(host, cg, lo));
  }
  if (!lo.v2_made) {
    if (auto r = cgroup::create(host, cg, cgroup::Part::v2); !r)
      return Error{r.error(), fmt::format("create cgroup {}", cg)};
  }
  out.cgroup_made = true;
  SpawnPlan plan;
  plan.spec = &p.spec;
  plan.bundle = p.bundle;
  plan.rootfs = p.rootfs;
  plan.cgroups = &host;
  const Namespace* user = p.spec.linux_cfg.find(NsType::user);
  plan.userns = user != nullptr;
  plan.v2_limits = !plan.userns;
  if (plan.userns) {
    RINGC_TRY(apply_limits(host, p.spec, cg, cgroup::Part::v2));
  }
  mark("cgroup-create");
  // Bind sources the parent opens (open_tree): all of them for a user
  // namespace, id-mapped ones in any case.
  // A rootless ringc clones no trees (open_tree needs CAP_SYS_ADMIN where
  // it runs): the init binds what its user can reach, as runc's does.
  const bool rootless = ::geteuid() != 0;
  bool idmapped = std::any_of(p.spec.mounts.begin(), p.spec.mounts.end(),
                              [](const Mount& m) { return m.idmap; });
  if (idmapped && rootless)
    return ringc_error(Errc::bad_spec,
                       p.bundle +
                           "/config.json: /mounts: id-mapped mounts are not supported for "
                           "rootless containers (they need CAP_SYS_ADMIN on the host)");
  bool trees = (plan.userns && !rootless) || idmapped;
  // The spawner clones no user namespace: its maps are the caller's to write.
  if (lo.defer_spawn && !plan.userns && !idmapped && fifo.empty()) {
    out.deferred = true;  // the spawner loads the device program for its inits
    return outcome::success();
  }
  if (plan.v2_limits)
    plan.device_prog = cgroup::preload_device_program(host, p.spec.linux_cfg.resources);
  // The parent opens the fifo: a child in a user namespace could not.
  sys::UniqueFd fifo_fd;
  if (!fifo.empty()) {
    fifo_fd = sys::UniqueFd(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    if (fifo_fd.get() < 0) return sys_error(errno, "open " + fifo);
    plan.fifo_fd = fifo_fd.get();
  }
  plan.cgroup_path = cg;
  plan.init = init;
  plan.shared = lo.shared_clone;
  std::vector<sys::UniqueFd> bind_trees;
  if (trees) {
    RINGC_TRY(bind_trees, open_bind_trees(p.spec, p.bundle, plan.userns));
    for (auto& t : bind_trees) plan.bind_trees.push_back(t.get());
  }
  auto v2 = cgroup::open_v2_dir(host, cg);
  if (!v2) return Error{v2.error(), "open cgroup " + cg};
  plan.cgroup_v2_fd = v2.value();
  mark("spawn-prep");
  auto spawned = spawn(plan);
  mark("clone3");
  if (plan.cgroup_v2_fd >= 0) ::close(plan.cgroup_v2_fd);
  if (!spawned) return spawned.error();
  out.child = spawned.value();
  if (plan.userns) {
    RINGC_TRY(map_and_place(host, p.spec, cg, out.child));
    mark("userns-maps");
  }
  return outcome::success();
}

}  // namespace ringc
