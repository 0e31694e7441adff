#include "cgroup/resources.h"

#include "cgroup/devices_bpf.h"
#include "cgroup/files.h"
#include "core/base/sys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace ringc::cgroup {

namespace {
using Res = outcome::result<void, ApplyError, outcome::policy::terminate>;

Res write(const std::string& file, const std::string& value) {
  if (int r = write_text(file, value); r < 0)
    return ApplyError{{-r, std::generic_category()}, file};
  return outcome::success();
}

// v1's device rules in order, each file opened once: the kernel takes
// every write() as a rule of its own, and a dozen opens of the same file
// were a third of the init's cgroup work.
Res write_device_rules(const std::string& d, const std::vector<DeviceRule>& given) {
  sys::UniqueFd allow, deny;
  for (const auto* list : {&given, &default_allowed_devices()})
    for (auto& rule : *list) {
      sys::UniqueFd& fd = rule.allow ? allow : deny;
      std::string file = d + (rule.allow ? "devices.allow" : "devices.deny");
      if (fd.get() < 0) fd = sys::UniqueFd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
      std::string text = dev_rule(rule);
      if (fd.get() < 0 || ::write(fd.get(), text.data(), text.size()) < 0)
        return ApplyError{{errno, std::generic_category()}, file};
    }
  return outcome::success();
}

std::string dev(const DeviceRate& d) {
  return std::to_string(d.major) + ":" + std::to_string(d.minor);
}

// BFQ's file where the kernel has it, else the CFQ-era one.
std::string weight_file(const std::string& dir, const char* bfq, const char* plain) {
  struct stat st;
  return ::stat((dir + bfq).c_str(), &st) == 0 ? dir + bfq : dir + plain;
}

Res apply_blkio_v1(const std::string& d, const BlockIO& b) {
  if (b.weight) {
    BOOST_OUTCOME_TRYV(
        write(weight_file(d, "blkio.bfq.weight", "blkio.weight"), std::to_string(*b.weight)));
  }
  for (auto& w : b.weight_device) {
    BOOST_OUTCOME_TRYV(write(weight_file(d, "blkio.bfq.weight_device", "blkio.weight_device"),
                             dev(w) + " " + std::to_string(w.rate)));
  }
  const std::pair<const std::vector<DeviceRate>*, const char*> throttles[] = {
      {&b.read_bps, "blkio.throttle.read_bps_device"},
      {&b.write_bps, "blkio.throttle.write_bps_device"},
      {&b.read_iops, "blkio.throttle.read_iops_device"},
      {&b.write_iops, "blkio.throttle.write_iops_device"}};
  for (auto& [list, file] : throttles)
    for (auto& t : *list) {
      BOOST_OUTCOME_TRYV(write(d + file, dev(t) + " " + std::to_string(t.rate)));
    }
  return outcome::success();
}

// v2: io.weight (or io.bfq.weight) and one io.max line per device.
Res apply_io_v2(const std::string& d, const BlockIO& b) {
  if (b.weight) {
    BOOST_OUTCOME_TRYV(write(weight_file(d, "io.bfq.weight", "io.weight"),
                             "default " + std::to_string(*b.weight)));
  }
  for (auto& w : b.weight_device) {
    BOOST_OUTCOME_TRYV(
        write(weight_file(d, "io.bfq.weight", "io.weight"), dev(w) + " " + std::to_string(w.rate)));
  }
  const std::pair<const std::vector<DeviceRate>*, const char*> limits[] = {
      {&b.read_bps, "rbps"},
      {&b.write_bps, "wbps"},
      {&b.read_iops, "riops"},
      {&b.write_iops, "wiops"}};
  for (auto& [list, key] : limits)
    for (auto& t : *list) {
      BOOST_OUTCOME_TRYV(write(d + "io.max", dev(t) + " " + key + "=" + std::to_string(t.rate)));
    }
  return outcome::success();
}

Res apply_v1(const Host& host, std::string_view path, const Resources& r) {
  auto dir = [&](const char* ctrl) -> std::string {
    const Hierarchy* h = host.v1(ctrl);
    return h ? h->mount + std::string(path) + "/" : std::string();
  };
  if (std::string d = dir("memory"); !d.empty()) {
    // OCI's swap is memory+swap: memsw, which the kernel keeps at least
    // the memory limit. Raising both, memsw goes first; lowering, memory
    // (runc's order, so that an update passes the kernel's check).
    auto memory = [&]() -> Res {
      if (!r.memory_limit) return outcome::success();
      return write(d + "memory.limit_in_bytes", std::to_string(*r.memory_limit));
    };
    auto memsw = [&]() -> Res {
      if (!r.memory_swap) return outcome::success();
      return write(d + "memory.memsw.limit_in_bytes", std::to_string(*r.memory_swap));
    };
    bool swap_first = false;
    if (r.memory_limit && r.memory_swap) {
      uint64_t now = std::strtoull(read_text(d + "memory.limit_in_bytes").c_str(), nullptr, 10);
      swap_first = *r.memory_swap == -1 || now < uint64_t(*r.memory_swap);
    }
    BOOST_OUTCOME_TRYV(swap_first ? memsw() : memory());
    BOOST_OUTCOME_TRYV(swap_first ? memory() : memsw());
    if (r.memory_reservation) {
      BOOST_OUTCOME_TRYV(
          write(d + "memory.soft_limit_in_bytes", std::to_string(*r.memory_reservation)));
    }
    if (r.memory_swappiness) {
      BOOST_OUTCOME_TRYV(write(d + "memory.swappiness", std::to_string(*r.memory_swappiness)));
    }
    if (r.disable_oom_killer && *r.disable_oom_killer) {
      BOOST_OUTCOME_TRYV(write(d + "memory.oom_control", "1"));
    }
    if (r.memory_kernel) {
      BOOST_OUTCOME_TRYV(write(d + "memory.kmem.limit_in_bytes", std::to_string(*r.memory_kernel)));
    }
    if (r.memory_kernel_tcp) {
      BOOST_OUTCOME_TRYV(
          write(d + "memory.kmem.tcp.limit_in_bytes", std::to_string(*r.memory_kernel_tcp)));
    }
  }
  if (std::string d = dir("pids"); !d.empty() && r.pids_limit) {
    BOOST_OUTCOME_TRYV(
        write(d + "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max"));
  }
  if (std::string d = dir("cpu"); !d.empty()) {
    if (r.cpu_shares) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.shares", std::to_string(*r.cpu_shares)));
    }
    // A period the kernel refuses with the old quota (a parent's quota
    // exceeded) is written again after the quota, as runc does.
    bool period_again = false;
    if (r.cpu_period) {
      auto p = write(d + "cpu.cfs_period_us", std::to_string(*r.cpu_period));
      if (!p && !(p.error().code == std::errc::invalid_argument && r.cpu_quota)) return p;
      period_again = !p;
    }
    if (r.cpu_quota) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.cfs_quota_us", std::to_string(*r.cpu_quota)));
    }
    if (period_again) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.cfs_period_us", std::to_string(*r.cpu_period)));
    }
    if (r.cpu_burst) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.cfs_burst_us", std::to_string(*r.cpu_burst)));
    }
    if (r.cpu_idle) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.idle", std::to_string(*r.cpu_idle)));
    }
    // The period first: a runtime is checked against it.
    if (r.cpu_rt_period) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.rt_period_us", std::to_string(*r.cpu_rt_period)));
    }
    if (r.cpu_rt_runtime) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.rt_runtime_us", std::to_string(*r.cpu_rt_runtime)));
    }
  }
  if (std::string d = dir("hugetlb"); !d.empty()) {
    for (auto& [size, limit] : r.hugepage_limits) {
      BOOST_OUTCOME_TRYV(write(d + "hugetlb." + size + ".limit_in_bytes", std::to_string(limit)));
    }
  }
  if (std::string d = dir("cpuset"); !d.empty()) {
    if (!r.cpus.empty()) {
      BOOST_OUTCOME_TRYV(write(d + "cpuset.cpus", r.cpus));
    }
    if (!r.mems.empty()) {
      BOOST_OUTCOME_TRYV(write(d + "cpuset.mems", r.mems));
    }
  }
  if (std::string d = dir("blkio"); !d.empty() && !r.block_io.empty()) {
    BOOST_OUTCOME_TRYV(apply_blkio_v1(d, r.block_io));
  }
  if (std::string d = dir("net_cls"); !d.empty() && r.net_class_id) {
    BOOST_OUTCOME_TRYV(write(d + "net_cls.classid", std::to_string(*r.net_class_id)));
  }
  if (std::string d = dir("net_prio"); !d.empty()) {
    for (auto& [ifname, prio] : r.net_priorities) {
      BOOST_OUTCOME_TRYV(write(d + "net_prio.ifpriomap", ifname + " " + std::to_string(prio)));
    }
  }
  if (std::string d = dir("devices"); !d.empty() && !r.devices.empty()) {
    BOOST_OUTCOME_TRYV(write_device_rules(d, r.devices));
  }
  return outcome::success();
}

Res apply_v2(const Host& host, std::string_view path, const Resources& r,
             std::optional<int> device_prog) {
  const Hierarchy* h = host.v2();
  if (!h) return outcome::success();
  std::string d = h->mount + std::string(path) + "/";
  // On a hybrid host the v1 controllers carry the limits; the unified
  // mount has no controller files.
  auto v2_has = [&](const char* ctrl) { return host.layout == Layout::unified && !host.v1(ctrl); };
  if (v2_has("memory")) {
    if (r.memory_limit) {
      BOOST_OUTCOME_TRYV(
          write(d + "memory.max", *r.memory_limit < 0 ? "max" : std::to_string(*r.memory_limit)));
    }
    if (r.memory_reservation) {
      BOOST_OUTCOME_TRYV(write(d + "memory.low", std::to_string(*r.memory_reservation)));
    }
    if (r.memory_swap) {  // v2's swap.max is swap alone: OCI's memory+swap minus memory
      std::string v = "max";
      if (*r.memory_swap >= 0 && r.memory_limit && *r.memory_limit >= 0)
        v = std::to_string(*r.memory_swap - *r.memory_limit);
      BOOST_OUTCOME_TRYV(write(d + "memory.swap.max", v));
    }
  }
  if (v2_has("pids") && r.pids_limit) {
    BOOST_OUTCOME_TRYV(
        write(d + "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max"));
  }
  if (v2_has("cpu")) {
    if (r.cpu_shares) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.weight", std::to_string(shares_to_weight(*r.cpu_shares))));
    }
    if (r.cpu_quota || r.cpu_period) {
      std::string quota = r.cpu_quota && *r.cpu_quota > 0 ? std::to_string(*r.cpu_quota) : "max";
      BOOST_OUTCOME_TRYV(
          write(d + "cpu.max", quota + " " + std::to_string(r.cpu_period.value_or(100000))));
    }
    if (r.cpu_burst) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.max.burst", std::to_string(*r.cpu_burst)));
    }
    if (r.cpu_idle) {
      BOOST_OUTCOME_TRYV(write(d + "cpu.idle", std::to_string(*r.cpu_idle)));
    }
    if (r.cpu_rt_runtime || r.cpu_rt_period)  // as runc: v2 has no realtime group limits
      return ApplyError{{ENOTSUP, std::generic_category()},
                        d + "cpu.rt_runtime_us (cgroup v2 has no realtime limits)"};
  }
  // hugetlb: in the v2 hierarchy wherever v1 does not have it (on a hybrid
  // host too, where it is the unified mount's one controller).
  if (!r.hugepage_limits.empty() && !host.v1("hugetlb")) {
    enable_controller(host, path, "hugetlb");
    for (auto& [size, limit] : r.hugepage_limits) {
      BOOST_OUTCOME_TRYV(write(d + "hugetlb." + size + ".max", std::to_string(limit)));
    }
  }
  if (v2_has("cpuset")) {
    if (!r.cpus.empty()) {
      BOOST_OUTCOME_TRYV(write(d + "cpuset.cpus", r.cpus));
    }
    if (!r.mems.empty()) {
      BOOST_OUTCOME_TRYV(write(d + "cpuset.mems", r.mems));
    }
  }
  if (v2_has("blkio") && !r.block_io.empty()) {
    BOOST_OUTCOME_TRYV(apply_io_v2(d, r.block_io));
  }
  for (auto& [file, value] : r.unified) {
    BOOST_OUTCOME_TRYV(write(d + file, value));
  }
  // Device rules where no v1 devices controller carries them: a BPF program.
  if (!r.devices.empty() && !host.v1("devices")) {
    int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ApplyError{{errno, std::generic_category()}, d};
    int rc = !device_prog ? attach_device_program(fd, device_program(effective_device_rules(r)))
             : *device_prog >= 0 ? attach_loaded_program(fd, *device_prog)
                                 : *device_prog;
    ::close(fd);
    if (rc < 0) return ApplyError{{-rc, std::generic_category()}, d + " (BPF device program)"};
  }
  return outcome::success();
}
}  // namespace

std::string dev_rule(const DeviceRule& d) {
  auto num = [](int64_t v) { return v < 0 ? std::string("*") : std::to_string(v); };
  if (d.type == 'a') return "a";
  return std::string(1, d.type) + " " + num(d.major) + ":" + num(d.minor) + " " + d.access;
}

std::vector<DeviceRule> effective_device_rules(const Resources& r) {
  std::vector<DeviceRule> rules = r.devices;
  auto& defaults = default_allowed_devices();
  rules.insert(rules.end(), defaults.begin(), defaults.end());
  return rules;
}

int preload_device_program(const Host& host, const Resources& r) {
  if (r.devices.empty() || !host.v2() || host.v1("devices") || ::geteuid() != 0) return -ENODATA;
  return load_device_program(device_program(effective_device_rules(r)));
}

bool Resources::empty() const {
  return !memory_limit && !memory_reservation && !memory_swap && !memory_swappiness &&
         !disable_oom_killer && !memory_kernel && !memory_kernel_tcp && !pids_limit &&
         !cpu_shares && !cpu_period && !cpu_quota && !cpu_idle && !cpu_burst && !cpu_rt_runtime &&
         !cpu_rt_period && cpus.empty() && mems.empty() && devices.empty() && block_io.empty() &&
         hugepage_limits.empty() && unified.empty() && !net_class_id && net_priorities.empty();
}

std::optional<std::string> unsupported(const Host& host, const Resources& r) {
  // No cgroup (a rootless container outside a delegated subtree): the
  // device rules have nothing to guard (no mknod in a user namespace),
  // anything else cannot be applied.
  if (host.hierarchies.empty()) {
    Resources limits = r;
    limits.devices.clear();
    if (!limits.empty())
      return std::string(
          ": the container has no cgroup (a rootless container outside a subtree delegated to "
          "its user), so it cannot apply limits");
  }
  if (!r.unified.empty() && host.layout != Layout::unified)
    return std::string("/unified: needs a cgroup v2 host; this one is ") +
           (host.layout == Layout::hybrid ? "hybrid (v1 controllers)" : "cgroup v1");
  if (r.net_class_id && !host.v1("net_cls"))
    return std::string("/network/classID: this host has no net_cls controller mounted") +
           (host.layout == Layout::unified ? " (cgroup v2 has none)" : "");
  if (!r.net_priorities.empty() && !host.v1("net_prio"))
    return std::string("/network/priorities: this host has no net_prio controller mounted") +
           (host.layout == Layout::unified ? " (cgroup v2 has none)" : "");
  return std::nullopt;
}

const std::vector<DeviceRule>& default_allowed_devices() {
  static const std::vector<DeviceRule> k = {
      {true, 'c', -1, -1, "m"},    {true, 'b', -1, -1, "m"},   {true, 'c', 1, 3, "rwm"},
      {true, 'c', 1, 5, "rwm"},    {true, 'c', 1, 7, "rwm"},   {true, 'c', 1, 8, "rwm"},
      {true, 'c', 1, 9, "rwm"},    {true, 'c', 5, 0, "rwm"},   {true, 'c', 5, 2, "rwm"},
      {true, 'c', 136, -1, "rwm"}, {true, 'c', 10, 200, "rwm"}};
  return k;
}

uint64_t shares_to_weight(uint64_t shares) {
  if (shares == 0) return 0;
  return 1 + ((shares - 2) * 9999) / 262142;
}

Res apply(const Host& host, std::string_view path, const Resources& r, Part part,
          std::optional<int> device_prog) {
  // Device rules take CAP_SYS_ADMIN on the host (v1's devices.deny, v2's
  // BPF attach), which a rootless ringc lacks; its container needs none
  // (no mknod in a user namespace, its /dev is binds), so, as runc, it
  // leaves them out.
  if (!r.devices.empty() && ::geteuid() != 0) {
    Resources rest = r;
    rest.devices.clear();
    return apply(host, path, rest, part, device_prog);
  }
  if (!r.hugepage_limits.empty() && !host.v1("hugetlb") && !host.v2())
    return ApplyError{{ENOTSUP, std::generic_category()},
                      "hugetlb.* (this host has no hugetlb controller mounted)"};
  if (part != Part::v2) {
    BOOST_OUTCOME_TRYV(apply_v1(host, path, r));
  }
  if (part == Part::v1) return outcome::success();
  return apply_v2(host, path, r, device_prog);
}

}  // namespace ringc::cgroup
