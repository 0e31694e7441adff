// Usage figures of a container's cgroup, from the v1 controllers or the v2
// interface files, in runc's units (nanoseconds, bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgroup/layout.h"

namespace ringc::cgroup {

struct BlkioEntry {
  uint64_t major = 0, minor = 0;
  std::string op;
  uint64_t value = 0;
};

struct Stats {
  struct {
    uint64_t total = 0, kernel = 0, user = 0;
    std::vector<uint64_t> percpu;
    uint64_t periods = 0, throttled_periods = 0, throttled_time = 0;
  } cpu;
  struct {
    uint64_t usage = 0, max = 0, limit = 0, failcnt = 0;
    uint64_t swap_usage = 0, swap_limit = 0;
    uint64_t cache = 0;
    std::vector<std::pair<std::string, uint64_t>> raw;  // memory.stat
  } memory;
  struct {
    uint64_t current = 0, limit = 0;  // limit 0: none
  } pids;
  std::vector<BlkioEntry> io_service_bytes, io_serviced;
  struct Hugetlb {
    std::string size;  // "2MB"
    uint64_t usage = 0, max = 0, failcnt = 0;
  };
  std::vector<Hugetlb> hugetlb;  // one per page size the host has
  uint64_t oom_kills = 0;
};

Result<Stats> read_stats(const Host& host, std::string_view path);

// OOM kills the kernel counted in the cgroup (memory.oom_control's
// oom_kill on v1, memory.events' oom_kill on v2); 0 when unreadable.
uint64_t oom_kills(const Host& host, std::string_view path);

// The memory charged to the cgroup (memory.current on v2,
// memory.usage_in_bytes on v1), in bytes (0 when unreadable); nullopt
// where the host has no hierarchy to ask.
std::optional<uint64_t> memory_usage(const Host& host, std::string_view path);

// The host's huge page sizes in the kernel's cgroup names ("2MB", "1GB").
std::vector<std::string> hugepage_sizes();

// "key value" lines (memory.stat, cpu.stat, memory.events).
std::vector<std::pair<std::string, uint64_t>> parse_flat_keyed(std::string_view text);

}  // namespace ringc::cgroup
