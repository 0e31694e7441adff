#include "cgroup/stats.h"

#include "cgroup/files.h"
#include "cgroup/manager.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace ringc::cgroup {

namespace {
constexpr uint64_t kNsPerTick = 1'000'000'000 / 100;  // USER_HZ is 100 on Linux

uint64_t number(const std::string& path) {
  std::string s = read_text(path);
  if (s.starts_with("max")) return 0;
  return std::strtoull(s.c_str(), nullptr, 10);
}

uint64_t get(const std::vector<std::pair<std::string, uint64_t>>& kv, std::string_view key) {
  for (auto& [k, v] : kv)
    if (k == key) return v;
  return 0;
}

// "MAJ:MIN Op Value" lines (v1 blkio).
void parse_blkio_v1(std::string_view text, std::vector<BlkioEntry>& out) {
  for_each_line(text, [&](std::string_view l) {
    std::string line(l);
    unsigned maj, min;
    char op[32];
    unsigned long long v;
    if (std::sscanf(line.c_str(), "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
      out.push_back({maj, min, op, v});
  });
}

// "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." lines (v2 io.stat).
void parse_io_v2(std::string_view text, Stats& s) {
  for_each_line(text, [&](std::string_view l) {
    std::string line(l);
    unsigned maj, min;
    if (std::sscanf(line.c_str(), "%u:%u", &maj, &min) != 2) return;
    auto field = [&](const char* key) {
      const char* at = std::strstr(line.c_str(), key);
      return at ? std::strtoull(at + std::strlen(key), nullptr, 10) : 0ULL;
    };
    s.io_service_bytes.push_back({maj, min, "Read", field("rbytes=")});
    s.io_service_bytes.push_back({maj, min, "Write", field("wbytes=")});
    s.io_serviced.push_back({maj, min, "Read", field("rios=")});
    s.io_serviced.push_back({maj, min, "Write", field("wios=")});
  });
}

void read_v1(const Host& host, std::string_view path, Stats& s) {
  auto dir = [&](const char* ctrl) {
    const Hierarchy* h = host.v1(ctrl);
    return h ? h->mount + std::string(path) + "/" : std::string();
  };
  if (std::string d = dir("cpuacct"); !d.empty()) {
    s.cpu.total = number(d + "cpuacct.usage");
    std::string per = read_text(d + "cpuacct.usage_percpu");
    for (char* p = per.data(); *p;) {
      char* end;
      uint64_t v = std::strtoull(p, &end, 10);
      if (end == p) break;
      s.cpu.percpu.push_back(v);
      p = end;
    }
    auto st = parse_flat_keyed(read_text(d + "cpuacct.stat"));
    s.cpu.user = get(st, "user") * kNsPerTick;
    s.cpu.kernel = get(st, "system") * kNsPerTick;
  }
  if (std::string d = dir("cpu"); !d.empty()) {
    auto st = parse_flat_keyed(read_text(d + "cpu.stat"));
    s.cpu.periods = get(st, "nr_periods");
    s.cpu.throttled_periods = get(st, "nr_throttled");
    s.cpu.throttled_time = get(st, "throttled_time");
  }
  if (std::string d = dir("memory"); !d.empty()) {
    s.memory.usage = number(d + "memory.usage_in_bytes");
    s.memory.max = number(d + "memory.max_usage_in_bytes");
    s.memory.limit = number(d + "memory.limit_in_bytes");
    s.memory.failcnt = number(d + "memory.failcnt");
    s.memory.swap_usage = number(d + "memory.memsw.usage_in_bytes");
    s.memory.swap_limit = number(d + "memory.memsw.limit_in_bytes");
    s.memory.raw = parse_flat_keyed(read_text(d + "memory.stat"));
    s.memory.cache = get(s.memory.raw, "cache");
    s.oom_kills = get(parse_flat_keyed(read_text(d + "memory.oom_control")), "oom_kill");
  }
  if (std::string d = dir("pids"); !d.empty()) {
    s.pids.current = number(d + "pids.current");
    s.pids.limit = number(d + "pids.max");
  }
  if (std::string d = dir("blkio"); !d.empty()) {
    parse_blkio_v1(read_text(d + "blkio.throttle.io_service_bytes_recursive"), s.io_service_bytes);
    parse_blkio_v1(read_text(d + "blkio.throttle.io_serviced_recursive"), s.io_serviced);
  }
}

void read_v2(const Host& host, std::string_view path, Stats& s) {
  const Hierarchy* h = host.v2();
  if (!h || host.layout != Layout::unified) return;
  std::string d = h->mount + std::string(path) + "/";
  auto cpu = parse_flat_keyed(read_text(d + "cpu.stat"));
  s.cpu.total = get(cpu, "usage_usec") * 1000;
  s.cpu.user = get(cpu, "user_usec") * 1000;
  s.cpu.kernel = get(cpu, "system_usec") * 1000;
  s.cpu.periods = get(cpu, "nr_periods");
  s.cpu.throttled_periods = get(cpu, "nr_throttled");
  s.cpu.throttled_time = get(cpu, "throttled_usec") * 1000;
  s.memory.usage = number(d + "memory.current");
  s.memory.max = number(d + "memory.peak");
  s.memory.limit = number(d + "memory.max");
  auto events = parse_flat_keyed(read_text(d + "memory.events"));
  s.memory.failcnt = get(events, "max");
  s.oom_kills = get(events, "oom_kill");
  s.memory.swap_usage = number(d + "memory.swap.current");
  s.memory.swap_limit = number(d + "memory.swap.max");
  s.memory.raw = parse_flat_keyed(read_text(d + "memory.stat"));
  s.memory.cache = get(s.memory.raw, "file");
  s.pids.current = number(d + "pids.current");
  s.pids.limit = number(d + "pids.max");
  parse_io_v2(read_text(d + "io.stat"), s);
}
// hugetlb: the v1 controller where the host has it, else the v2
// hierarchy's (a hybrid host keeps it there).
void read_hugetlb(const Host& host, std::string_view path, Stats& s) {
  const Hierarchy* h = host.v1("hugetlb");
  bool v1 = h != nullptr;
  if (!h) h = host.v2();
  if (!h) return;
  std::string d = h->mount + std::string(path) + "/hugetlb.";
  for (auto& size : hugepage_sizes()) {
    Stats::Hugetlb e{size};
    if (v1) {
      e.usage = number(d + size + ".usage_in_bytes");
      e.max = number(d + size + ".max_usage_in_bytes");
      e.failcnt = number(d + size + ".failcnt");
    } else {
      e.usage = number(d + size + ".current");
      e.failcnt = get(parse_flat_keyed(read_text(d + size + ".events")), "max");
    }
    s.hugetlb.push_back(std::move(e));
  }
}
}  // namespace

uint64_t oom_kills(const Host& host, std::string_view path) {
  if (const Hierarchy* h = host.v1("memory"))
    return get(parse_flat_keyed(read_text(h->mount + std::string(path) + "/memory.oom_control")),
               "oom_kill");
  if (const Hierarchy* h = host.v2(); h && host.layout == Layout::unified)
    return get(parse_flat_keyed(read_text(h->mount + std::string(path) + "/memory.events")),
               "oom_kill");
  return 0;
}

std::vector<std::string> hugepage_sizes() {
  std::vector<std::string> out;
  DIR* dir = ::opendir("/sys/kernel/mm/hugepages");
  if (!dir) return out;
  while (dirent* e = ::readdir(dir)) {
    std::string_view name = e->d_name;  // hugepages-2048kB
    if (!name.starts_with("hugepages-")) continue;
    uint64_t kb = std::strtoull(std::string(name.substr(10)).c_str(), nullptr, 10);
    if (kb >= (1u << 20) && kb % (1u << 20) == 0)
      out.push_back(std::to_string(kb >> 20) + "GB");
    else if (kb >= 1024 && kb % 1024 == 0)
      out.push_back(std::to_string(kb >> 10) + "MB");
    else
      out.push_back(std::to_string(kb) + "KB");
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::pair<std::string, uint64_t>> parse_flat_keyed(std::string_view text) {
  std::vector<std::pair<std::string, uint64_t>> out;
  for_each_line(text, [&](std::string_view line) {
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return;
    out.emplace_back(std::string(line.substr(0, sp)),
                     std::strtoull(std::string(line.substr(sp + 1)).c_str(), nullptr, 10));
  });
  return out;
}

Result<Stats> read_stats(const Host& host, std::string_view path) {
  if (!exists(host, path)) return std::error_code(ENOENT, std::generic_category());
  Stats s;
  read_v1(host, path, s);
  read_v2(host, path, s);
  read_hugetlb(host, path, s);
  return s;
}

std::optional<uint64_t> memory_usage(const Host& host, std::string_view path) {
  if (const Hierarchy* h = host.v1("memory"))
    return number(h->mount + std::string(path) + "/memory.usage_in_bytes");
  if (const Hierarchy* v2 = host.v2(); v2 && host.layout == Layout::unified)
    return number(v2->mount + std::string(path) + "/memory.current");
  return std::nullopt;
}

}  // namespace ringc::cgroup
