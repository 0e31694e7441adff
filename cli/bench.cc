// ringc bench: OCI runtimes measured side by side (bench/harness.h).
#include <unistd.h>

#include <fmt/format.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "bench/harness.h"
#include "cli/args.h"
#include "cli/command.h"
#include "cli/flags.h"

namespace ringc::cli {

namespace {

Result<int> number(const Args& a, const char* flag, int fallback) {
  std::string v = a.get(flag, std::to_string(fallback));
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || n < 1 || n > 1'000'000)
    return ringc_error(Errc::bad_usage, fmt::format("bench: --{}: \"{}\" is not a count", flag, v));
  return int(n);
}

std::string in_path(const char* name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  size_t pos = 0;
  while (pos <= p.size()) {
    size_t colon = std::min(p.find(':', pos), p.size());
    std::string cand = p.substr(pos, colon - pos) + "/" + name;
    if (::access(cand.c_str(), X_OK) == 0) return cand;
    pos = colon + 1;
  }
  return {};
}

// A hybrid host: crun refuses it unless the unified mount is hidden.
bool hybrid_host() {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string l; std::getline(in, l);)
    if (l.find(" /sys/fs/cgroup/unified ") != std::string::npos &&
        l.find(" - cgroup2 ") != std::string::npos)
      return true;
  return false;
}
}  // namespace

Result<int> cmd_bench(Context&, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("bench"), "bench"));
  bench::Options o;
  RINGC_TRY(o.count, number(a, "count", o.count));
  if (a.has("parallel")) {  // one K, or several: 1,8,32
    o.parallel.clear();
    std::string list = a.get("parallel");
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = std::min(list.find(',', pos), list.size());
      std::string v = list.substr(pos, comma - pos);
      char* end = nullptr;
      long k = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || k < 1 || k > 4096)
        return ringc_error(Errc::bad_usage,
                           fmt::format("bench: --parallel: \"{}\" is not a count", v));
      o.parallel.push_back(int(k));
      pos = comma + 1;
    }
  }
  RINGC_TRY(o.rounds, number(a, "rounds", o.rounds));
  RINGC_TRY(o.grace_ms, number(a, "grace-ms", o.grace_ms));
  o.bundle = a.get("bundle");
  o.baseline = a.get("baseline");
  o.hide_unified = a.has("crun-hide-unified");
  o.state_tmpfs = a.has("state-tmpfs");
  if (auto it = a.values.find("workload"); it != a.values.end()) {
    o.workloads.clear();
    for (auto& w : it->second) {
      bench::Workload wl;
      if (!bench::parse_workload(w, wl))
        return ringc_error(
            Errc::bad_usage,
            fmt::format("bench: --workload: \"{}\" is not run, lifecycle, burst or idle", w));
      o.workloads.push_back(wl);
    }
  }
  if (auto it = a.values.find("runtime"); it != a.values.end()) {
    for (auto& r : it->second) {
      size_t eq = r.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == r.size())
        return ringc_error(Errc::bad_usage,
                           fmt::format("bench: --runtime: \"{}\" is not NAME=PATH", r));
      o.runtimes.push_back({r.substr(0, eq), r.substr(eq + 1)});
    }
  } else {  // ringc itself, and runc and crun where installed
    char self[PATH_MAX] = {};
    if (::readlink("/proc/self/exe", self, sizeof self - 1) > 0)
      o.runtimes.push_back({"ringc", self});
    for (const char* other : {"runc", "crun"})
      if (auto p = in_path(other); !p.empty()) o.runtimes.push_back({other, p});
  }
  if (a.has("epoll")) {  // ringc again, on the reactor's epoll backend (ring/poller.h)
    char self[PATH_MAX] = {};
    if (::readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
      return sys_error(errno, "bench: readlink /proc/self/exe");
    bench::Contestant epoll("epoll", self);
    epoll.env = "RINGC_BACKEND=epoll";
    o.runtimes.push_back(std::move(epoll));
  }
  if (a.has("physical-limit"))
    o.runtimes.push_back({"limit", "", bench::Contestant::Kind::physical_limit});
  if (a.has("engine")) o.runtimes.push_back({"engine", "", bench::Contestant::Kind::engine});
  if (a.has("engine-pooled"))
    o.runtimes.push_back({"recycled", "", bench::Contestant::Kind::engine, 1});
  if (a.has("daemon") || a.has("daemon-pool")) {
    char self[PATH_MAX] = {};
    if (::readlink("/proc/self/exe", self, sizeof self - 1) <= 0)
      return sys_error(errno, "bench: readlink /proc/self/exe");
    if (a.has("daemon")) o.runtimes.push_back({"daemon", self, bench::Contestant::Kind::daemon});
    if (a.has("daemon-pool")) {
      RINGC_TRY(uint64_t n, a.number("daemon-pool", 8, 1));
      o.runtimes.push_back({"warm", self, bench::Contestant::Kind::daemon, unsigned(n)});
    }
  }
  bool crun = false;
  for (auto& r : o.runtimes) crun |= r.name == "crun";
  if (crun && !o.hide_unified && hybrid_host())
    std::fprintf(stderr,
                 "bench: crun refuses hybrid cgroup hosts like this one (a cgroup2 mount at "
                 "/sys/fs/cgroup/unified beside v1); add --crun-hide-unified to run every "
                 "contestant in a private mount namespace without it\n");
  bool tty = ::isatty(2);
  auto progress = [tty](std::string_view what) {
    if (tty) std::fprintf(stderr, "\r\033[Kbench: %.*s", int(what.size()), what.data());
  };
  RINGC_TRY(auto results, bench::run(o, progress));
  if (tty) std::fputs("\r\033[K", stderr);
  if (a.has("svg")) {
    std::ofstream svg(a.get("svg"));
    svg << bench::to_svg(results);
    if (!svg) return sys_error(errno, "bench: --svg " + a.get("svg"));
  }
  std::string text = a.has("json") ? bench::to_json(results) : bench::to_table(results);
  std::fputs(text.c_str(), stdout);
  for (auto& s : results)
    if (s.failed && !a.has("json"))
      std::fprintf(stderr, "%s %.*s: %d failed; last error: %s\n", s.runtime.c_str(),
                   int(bench::name(s.workload).size()), bench::name(s.workload).data(), s.failed,
                   s.last_error.c_str());
  return 0;
}

}  // namespace ringc::cli
