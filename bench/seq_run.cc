// Sequential `RUNTIME run` of one bundle, for several runtimes interleaved
// round by round (A B C A B C ...) so that machine noise hits all alike.
// Prints per-runtime latency and the ratio against a baseline.
//
//   ringc-bench-run --bundle DIR [--count N] [--runtime NAME=PATH]...
//                   [--baseline NAME] [--hide-unified]
//
// --hide-unified runs everything in a private mount namespace with
// /sys/fs/cgroup/unified unmounted: crun refuses hybrid cgroup hosts.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench/stats.h"
#include "core/base/sys.h"
#include "core/verbs/waits.h"
#include "ring/ring.h"

namespace {

struct Contestant {
  std::string name, path;
  std::vector<double> ms;
  int failures = 0;
  std::string last_error;
};

// One `run`, timed from fork to reaped exit; the exit is a ring completion.
double run_once(ringc::ring::Ring& ring, Contestant& c, const std::string& bundle,
                const std::string& root, const std::string& id) {
  auto t0 = std::chrono::steady_clock::now();
  int pidfd = -1;
  int err[2];
  if (pipe2(err, O_CLOEXEC) < 0) return -1;
  pid_t pid = ringc::sys::fork_pidfd(&pidfd);
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(err[1], 2);
    execl(c.path.c_str(), c.path.c_str(), "--root", root.c_str(), "run", "--bundle", bundle.c_str(),
          id.c_str(), nullptr);
    _exit(127);
  }
  close(err[1]);
  auto code = ringc::await_exit(ring, pidfd, true, std::chrono::seconds(60));
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  char buf[512];
  ssize_t n = read(err[0], buf, sizeof buf - 1);
  close(err[0]);
  close(pidfd);
  if (!code || code.value() != 0) {
    ++c.failures;
    c.last_error =
        n > 0 ? std::string(buf, size_t(n)) : "exit " + std::to_string(code ? code.value() : -1);
    return -1;
  }
  return ms;
}

void hide_unified() {
  if (unshare(CLONE_NEWNS) < 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    perror("private mount namespace");
    exit(1);
  }
  if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    perror("umount /sys/fs/cgroup/unified");
}

}  // namespace

int main(int argc, char** argv) {
  std::string bundle, baseline;
  int count = 100;
  bool hide = false;
  std::vector<Contestant> cs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--bundle" || a == "-b")
      bundle = next();
    else if (a == "--count")
      count = std::atoi(next().c_str());
    else if (a == "--baseline")
      baseline = next();
    else if (a == "--hide-unified")
      hide = true;
    else if (a == "--runtime") {
      std::string v = next();
      size_t eq = v.find('=');
      if (eq == std::string::npos) {
        fmt::print(stderr, "--runtime wants NAME=PATH, got {}\n", v);
        return 2;
      }
      cs.push_back({v.substr(0, eq), v.substr(eq + 1), {}, 0, {}});
    } else {
      fmt::print(stderr, "unknown argument {}\n", a);
      return 2;
    }
  }
  if (bundle.empty() || cs.empty()) {
    fmt::print(stderr,
               "usage: {} --bundle DIR --runtime NAME=PATH... [--count N] [--baseline NAME] "
               "[--hide-unified]\n",
               argv[0]);
    return 2;
  }
  if (hide) hide_unified();
  ringc::ring::Ring ring;
  if (!ring.init(16)) return 1;
  std::string root = "/run/ringc-bench." + std::to_string(getpid());
  // One warm-up round, not counted.
  for (auto& c : cs) run_once(ring, c, bundle, root + "-" + c.name, "warm");
  for (auto& c : cs) c.failures = 0;
  for (int round = 0; round < count; ++round)
    for (auto& c : cs) {
      double ms = run_once(ring, c, bundle, root + "-" + c.name, fmt::format("b{}", round));
      if (ms >= 0) c.ms.push_back(ms);
    }
  for (auto& c : cs) std::system(fmt::format("rm -rf {}-{}", root, c.name).c_str());

  if (baseline.empty()) baseline = cs.back().name;
  double base = 0, base_mean = 0;
  for (auto& c : cs)
    if (c.name == baseline) {
      base = ringc::bench::percentile(c.ms, 50);
      base_mean = ringc::bench::mean(c.ms);
    }
  fmt::print("sequential `run` of {} ({} rounds, interleaved{})\n", bundle, count,
             hide ? ", private mount ns without /sys/fs/cgroup/unified" : "");
  fmt::print("{:<10} {:>9} {:>9} {:>9} {:>9} {:>12} {:>8} {:>12} {:>13}\n", "runtime", "p50 ms",
             "p95 ms", "p99 ms", "mean ms", "runs/s", "failed", "p50 vs " + baseline,
             "mean vs " + baseline);
  for (auto& c : cs) {
    double p50 = ringc::bench::percentile(c.ms, 50);
    double mean = ringc::bench::mean(c.ms);
    fmt::print("{:<10} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>12.1f} {:>8} {:>11.2f}x {:>12.2f}x\n",
               c.name, p50, ringc::bench::percentile(c.ms, 95), ringc::bench::percentile(c.ms, 99),
               mean, mean > 0 ? 1000.0 / mean : 0.0, c.failures, base > 0 ? p50 / base : 0.0,
               base_mean > 0 ? mean / base_mean : 0.0);
    if (c.failures) fmt::print("  {} last error: {}", c.name, c.last_error);
  }
  return 0;
}
