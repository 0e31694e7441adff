// linux.resources, typed, and writing them into a container's cgroup:
// the v1 controllers where the host has them (hybrid, legacy), else the v2
// interface files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgroup/layout.h"
#include "cgroup/manager.h"

namespace ringc::cgroup {

struct DeviceRule {
  bool allow = false;
  char type = 'a';                 // a, c, b
  int64_t major = -1, minor = -1;  // -1: any
  std::string access = "rwm";
};

struct DeviceRate {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;  // bytes/s, io/s, or a weight
};

struct BlockIO {
  std::optional<uint64_t> weight;
  std::vector<DeviceRate> weight_device;
  std::vector<DeviceRate> read_bps, write_bps, read_iops, write_iops;
  bool empty() const {
    return !weight && weight_device.empty() && read_bps.empty() && write_bps.empty() &&
           read_iops.empty() && write_iops.empty();
  }
};

struct Resources {
  std::optional<int64_t> memory_limit, memory_reservation, memory_swap;  // bytes; -1 unlimited
  std::optional<int64_t> memory_kernel, memory_kernel_tcp;               // v1 only
  std::optional<uint64_t> memory_swappiness;
  std::optional<bool> disable_oom_killer;
  std::optional<int64_t> pids_limit;  // <= 0: unlimited
  std::optional<uint64_t> cpu_shares, cpu_period;
  std::optional<int64_t> cpu_quota;
  std::optional<int64_t> cpu_idle;                                // 0 or 1
  std::optional<uint64_t> cpu_burst;                              // µs
  std::optional<int64_t> cpu_rt_runtime;                          // µs, v1 only
  std::optional<uint64_t> cpu_rt_period;                          // µs, v1 only
  std::vector<std::pair<std::string, uint64_t>> hugepage_limits;  // "2MB" → bytes
  std::string cpus, mems;
  std::vector<DeviceRule> devices;
  BlockIO block_io;
  std::vector<std::pair<std::string, std::string>> unified;      // v2 file → value
  std::optional<uint32_t> net_class_id;                          // v1 net_cls only
  std::vector<std::pair<std::string, uint32_t>> net_priorities;  // v1 net_prio: interface → prio

  bool empty() const;
};

// runc's default device allow-list, applied after the spec's rules: the
// devices every container gets in /dev, ptys, tun, and mknod of any.
const std::vector<DeviceRule>& default_allowed_devices();

// Why this host cannot carry r, naming the field under linux.resources
// ("/unified: ..."), or nothing when it can: refused before anything is
// made rather than half-applied (unified files on a v1 or hybrid host,
// network limits where net_cls or net_prio is not mounted).
std::optional<std::string> unsupported(const Host& host, const Resources& r);

// The spec's device rules followed by runc's default allow-list.
std::vector<DeviceRule> effective_device_rules(const Resources& r);

// A rule as v1's devices.allow and devices.deny take it ("c 1:3 rwm", "a").
std::string dev_rule(const DeviceRule& d);

// Where a BPF program carries r's device rules, loads it into the cache
// of devices_bpf.h, so that children cloned afterwards attach it without
// running the verifier each: its fd, -errno, or -ENODATA when r needs none.
int preload_device_program(const Host& host, const Resources& r);

// Writes `r` into the hierarchies of `part`. The error names the file.
// device_prog: what preload_device_program returned, attached in place of
// a program of apply's own (a cloned child: the cache's fds are closed).
struct ApplyError {
  std::error_code code;
  std::string file;
};
outcome::result<void, ApplyError, outcome::policy::terminate> apply(
    const Host& host, std::string_view path, const Resources& r, Part part,
    std::optional<int> device_prog = std::nullopt);

// cpu.shares (v1, 2..262144) as cpu.weight (v2, 1..10000), as runc converts.
uint64_t shares_to_weight(uint64_t shares);

}  // namespace ringc::cgroup
