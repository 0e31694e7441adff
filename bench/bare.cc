// ringc-bare: the kernel's own price for a container, paid with no runtime
// around it. The floor that `ringc batch` is measured against in the same
// run (scripts/bench-batch.sh, scripts/bench-scale.sh).
//
//   ringc-bare --rootfs DIR [--count N] [--parallel K]
//              [--cgroups all|none] [--setup bare|mounts|config] [--json]
//
// One thread drives K children at a time on an io_uring: clone3 with
// CLONE_PIDFD | CLONE_NEWPID, the child doing the rest on its own core
// (bench/bare_child.h says what each --setup does; default bare).
// The exit is an IORING_OP_WAITID completion, the removal of the child's
// cgroups IORING_OP_UNLINKATs; then the slot takes the next launch.
//
// --cgroups all: a directory in every hierarchy mounted under
//   /sys/fs/cgroup, the way ringc's default layout does it (one on a pure-v2
//   host, one per hierarchy on a v1 or hybrid one); none: no cgroup at all.
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bare_child.h"
#include "bench/stats.h"
#include "core/sys.h"
#include "ring/ops.h"
#include "ring/ring.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string rootfs;
  int count = 1000, parallel = 32;
  ringc::bench::Setup setup = ringc::bench::Setup::bare;
  bool cgroups = true, json = false;
};

constexpr const char* kSetupNames[] = {"bare", "mounts", "config"};

// One launch in flight. Its exec is seen as EOF on a close-on-exec pipe
// (the child holds the only write end), its exit as the pidfd's waitid.
struct Slot {
  int pidfd = -1, exec_pipe = -1;
  siginfo_t info{};
  char byte = 0;
  Clock::time_point t0, running;
  std::vector<std::string> cgroups;
  int pending = 0;  // completions still to come: exec, exit, rmdirs
  bool ok = false;
};

enum Kind : uint64_t { kExit = 0, kRmdir = 1, kExec = 2, kMkdir = 3 };
uint64_t tag(size_t slot, Kind k) {
  return (uint64_t(slot) << 2) | k;
}

// This process's and its reaped children's CPU, user and system.
double process_cpu_ms() {
  double ms = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    getrusage(who, &u);
    for (const timeval& t : {u.ru_utime, u.ru_stime})
      ms += double(t.tv_sec) * 1e3 + double(t.tv_usec) / 1e3;
  }
  return ms;
}

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e6 + double(ts.tv_nsec) / 1e3;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--rootfs")
      o.rootfs = std::filesystem::absolute(next());
    else if (a == "--count")
      o.count = std::atoi(next().c_str());
    else if (a == "--parallel")
      o.parallel = std::atoi(next().c_str());
    else if (a == "--cgroups")
      o.cgroups = next() != "none";
    else if (a == "--setup") {
      std::string v = next();
      if (v == "bare")
        o.setup = ringc::bench::Setup::bare;
      else if (v == "mounts")
        o.setup = ringc::bench::Setup::mounts;
      else if (v == "config")
        o.setup = ringc::bench::Setup::config;
      else {
        fmt::print(stderr, "ringc-bare: --setup wants bare, mounts or config, got '{}'\n", v);
        exit(2);
      }
    } else if (a == "--json")
      o.json = true;
    else {
      fmt::print(stderr, "ringc-bare: unknown argument {}\n", a);
      exit(2);
    }
  }
  if (o.rootfs.empty() || o.count < 1 || o.parallel < 1) {
    fmt::print(stderr,
               "usage: ringc-bare --rootfs DIR [--count N] [--parallel K] [--cgroups all|none] "
               "[--setup bare|mounts|config] [--json]\n");
    exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<ringc::bench::Hierarchy> parents =
      o.cgroups ? ringc::bench::hierarchies() : std::vector<ringc::bench::Hierarchy>{};
  ringc::ring::Ring ring;
  if (!ring.init(unsigned(o.parallel) * (3 + parents.size()) + 8)) {
    fmt::print(stderr, "ringc-bare: io_uring setup failed\n");
    return 1;
  }
  std::vector<Slot> slots(size_t(std::min(o.parallel, o.count)));
  std::vector<double> ms, to_running;
  int launched = 0, done = 0, failed = 0, first_failure = 0;
  const std::string prefix = fmt::format("ringc-bare-{}-", getpid());

  // On a pure-v2 host the cgroup is made the cheapest way known, as ringc
  // makes it: IORING_OP_MKDIRAT (on io-wq, not this thread), then clone3
  // with CLONE_INTO_CGROUP, no migration. Elsewhere the child makes and
  // joins its directories.
  const bool into = parents.size() == 1 && parents[0].path == "/sys/fs/cgroup";
  const std::vector<ringc::bench::Hierarchy> none;
  const std::vector<std::string> no_dirs;
  auto clone_child = [&](size_t s) {
    Slot& slot = slots[s];
    int pipe[2];
    if (pipe2(pipe, O_CLOEXEC) < 0) {
      fmt::print(stderr, "ringc-bare: pipe: {}\n", std::strerror(errno));
      exit(1);
    }
    int dir = -1;
    if (into && (dir = open(slot.cgroups[0].c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
      fmt::print(stderr, "ringc-bare: open {}: {}\n", slot.cgroups[0], std::strerror(errno));
      exit(1);
    }
    clone_args args{};
    args.flags = CLONE_PIDFD | CLONE_NEWPID | (into ? CLONE_INTO_CGROUP : 0);
    args.pidfd = uint64_t(uintptr_t(&slot.pidfd));
    args.exit_signal = SIGCHLD;
    args.cgroup = into ? uint64_t(dir) : 0;
    pid_t pid = ringc::sys::clone3(&args);
    if (pid == 0)
      ringc::bench::bare_child(o.rootfs, o.setup, into ? none : parents,
                               into ? no_dirs : slot.cgroups);
    if (dir >= 0) close(dir);
    if (pid < 0) {
      fmt::print(stderr, "ringc-bare: clone3: {}\n", std::strerror(errno));
      exit(1);
    }
    close(pipe[1]);
    slot.exec_pipe = pipe[0];
    slot.pending = 2;
    ringc::ring::prep_read(ring, tag(s, kExec), slot.exec_pipe, &slot.byte, 1);
    ringc::ring::prep_exit_wait(ring, tag(s, kExit), slot.pidfd, true, &slot.info);
  };
  auto launch = [&](size_t s) {
    Slot& slot = slots[s];
    slot.cgroups.clear();
    for (const auto& p : parents) slot.cgroups.push_back(fmt::format("{}/{}{}", p.path, prefix, s));
    slot.t0 = Clock::now();
    ++launched;
    if (into)
      ringc::ring::prep_mkdir(ring, tag(s, kMkdir), slot.cgroups[0].c_str(), 0755);
    else
      clone_child(s);
  };
  // A slot is done once its child is reaped and its cgroups removed.
  auto settle = [&](size_t s) {
    Slot& slot = slots[s];
    if (--slot.pending > 0) return;
    ++done;
    auto since = [&](Clock::time_point t) {
      return std::chrono::duration<double, std::milli>(t - slot.t0).count();
    };
    if (slot.ok) {
      ms.push_back(since(Clock::now()));
      to_running.push_back(since(slot.running));
    }
    if (launched < o.count) launch(s);
  };

  const double cpu0 = thread_cpu_us(), process0 = process_cpu_ms();
  const auto t0 = Clock::now();
  for (size_t s = 0; s < slots.size(); ++s) launch(s);
  ringc::ring::Completion cs[64];
  while (done < o.count) {
    if (!ring.wait()) return 1;
    for (unsigned n = ring.reap(cs, 64), i = 0; i < n; ++i) {
      size_t s = cs[i].user_data >> 2;
      Slot& slot = slots[s];
      Kind kind = Kind(cs[i].user_data & 3);
      if (kind == kMkdir) {
        if (cs[i].res < 0 && cs[i].res != -EEXIST) {
          fmt::print(stderr, "ringc-bare: mkdir {}: {}\n", slot.cgroups[0],
                     std::strerror(-cs[i].res));
          return 1;
        }
        clone_child(s);
        continue;
      }
      if (kind == kExec) {
        slot.running = Clock::now();
        close(slot.exec_pipe);
      } else if (kind == kExit) {
        close(slot.pidfd);
        slot.ok = cs[i].res >= 0 && slot.info.si_code == CLD_EXITED && slot.info.si_status == 0;
        if (!slot.ok && failed++ == 0) first_failure = slot.info.si_status;
        slot.pending += int(slot.cgroups.size());
        for (const auto& dir : slot.cgroups)
          ringc::ring::prep_unlink(ring, tag(s, kRmdir), dir.c_str(), AT_REMOVEDIR);
      } else {
        // A child that failed early made fewer directories.
        if (cs[i].res < 0 && cs[i].res != -ENOENT) {
          fmt::print(stderr, "ringc-bare: rmdir: {}\n", std::strerror(-cs[i].res));
          if (slot.ok && failed++ == 0) first_failure = -cs[i].res;
          slot.ok = false;
        }
      }
      settle(s);
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu_us = (thread_cpu_us() - cpu0) / o.count;
  const double cpu_ms = (process_cpu_ms() - process0) / o.count;
  const double rate = double(ms.size()) / secs;
  using ringc::bench::percentile;
  if (o.json)
    fmt::print(
        "{{\"count\":{},\"failed\":{},\"containers_per_second\":{:.1f},\"p50_ms\":{:.2f},"
        "\"p95_ms\":{:.2f},\"p99_ms\":{:.2f},\"to_running_p50_ms\":{:.2f},"
        "\"to_running_p99_ms\":{:.2f},\"cpu_ms_per_container\":{:.3f},"
        "\"launcher_cpu_us_per_container\":{:.0f},"
        "\"cgroup_hierarchies\":{},\"setup\":\"{}\"}}\n",
        o.count, failed, rate, percentile(ms, 50), percentile(ms, 95), percentile(ms, 99),
        percentile(to_running, 50), percentile(to_running, 99), cpu_ms, cpu_us, parents.size(),
        kSetupNames[int(o.setup)]);
  else
    fmt::print(
        "{} containers, {} failed, {:.0f}/s, p50 {:.2f} ms, CPU {:.2f} ms each (launcher {:.0f} "
        "µs)\n",
        o.count, failed, rate, percentile(ms, 50), cpu_ms, cpu_us);
  if (failed) fmt::print(stderr, "ringc-bare: first failure: exit {}\n", first_failure);
  return failed ? 1 : 0;
}
