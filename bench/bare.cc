// ringc-bare: the kernel's own price for a container, paid with no runtime
// around it. The floor that `ringc batch` is measured against in the same
// run (scripts/bench-batch.sh, scripts/bench-scale.sh).
//
//   ringc-bare --rootfs DIR [--count N] [--parallel K]
//              [--cgroups all|none] [--setup bare|mounts|config|process]
//              [--netns new|warm] [--clone fork|shared] [--hold] [--json]
//
// One thread drives K children at a time on an io_uring: clone3 with
// CLONE_PIDFD | CLONE_NEWPID, the child doing the rest on its own core
// (bench/bare_child.h says what each --setup does; default bare).
// --setup process starts the program with posix_spawn instead, no
// container around it (bare_child.h).
// The exit is an IORING_OP_WAITID completion, the removal of the child's
// cgroups IORING_OP_UNLINKATs; then the slot takes the next launch.
//
// --hold: the child execs `sleep` instead of `true`; a place in flight is
//   given up at exec, and once all N run they are killed (SIGKILL through
//   the pidfds) and reaped: launches among running containers, as a
//   runtime's supervisor makes them.
// --netns warm: no new network namespace per child: each joins (setns)
//   one made at the start, as a container of ringc's warm pool joins one
//   (with --cgroups none: the floor of a container whose network
//   namespace and cgroup both come from ringc's pools).
// --clone shared: each child cloned into this process's memory (CLONE_VM,
//   on a stack of its own with a donor thread's storage, until its exec),
//   the way ringc's engines clone their inits (core/spawn/shared_clone.h),
//   instead of a copy of it (fork's way, the default): what the kernel's
//   work costs without the copy of the launcher's page tables.
// --cgroups all: a directory in every hierarchy mounted under
//   /sys/fs/cgroup, the way ringc's default layout does it (one on a pure-v2
//   host, one per hierarchy on a v1 or hybrid one); none: no cgroup at all.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bare_child.h"
#include "bench/stats.h"
#include "core/base/sys.h"
#include "core/pool/netns_pool.h"
#include "core/spawn/shared_clone.h"
#include "ring/ops.h"
#include "ring/ring.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string rootfs;
  int count = 1000, parallel = 32;
  ringc::bench::Setup setup = ringc::bench::Setup::bare;
  bool cgroups = true, json = false, hold = false, warm_netns = false, shared = false;
};

constexpr const char* kSetupNames[] = {"bare", "mounts", "config", "process"};

// One container. Its exec is seen as EOF on a close-on-exec pipe (the
// child holds the only write end), its exit as the pidfd's waitid.
struct Launch {
  int pidfd = -1, exec_pipe = -1;
  siginfo_t info{};
  char byte = 0;
  Clock::time_point t0, running;
  std::vector<std::string> cgroups;
  int pending = 0;  // completions still to come: exec, exit, rmdirs
  int donor = -1;   // --clone shared: lent until the exec or the exit
  bool ok = false, exited = false;
};

enum Kind : uint64_t { kExit = 0, kRmdir = 1, kExec = 2, kMkdir = 3 };
uint64_t tag(size_t n, Kind k) {
  return (uint64_t(n) << 2) | k;
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
      else if (v == "process")
        o.setup = ringc::bench::Setup::process;
      else {
        fmt::print(stderr, "ringc-bare: --setup wants bare, mounts, config or process, got '{}'\n",
                   v);
        exit(2);
      }
    } else if (a == "--json")
      o.json = true;
    else if (a == "--hold")
      o.hold = true;
    else if (a == "--netns")
      o.warm_netns = next() == "warm";
    else if (a == "--clone")
      o.shared = next() == "shared";
    else {
      fmt::print(stderr, "ringc-bare: unknown argument {}\n", a);
      exit(2);
    }
  }
  if (o.shared && !ringc::shared_clone_enabled()) {
    fmt::print(stderr, "ringc-bare: --clone shared: no shared clones in this build or here\n");
    exit(2);
  }
  if (o.hold && o.setup == ringc::bench::Setup::process) {
    fmt::print(stderr, "ringc-bare: --hold is for containers, not --setup process\n");
    exit(2);
  }
  if (o.rootfs.empty() || o.count < 1 || o.parallel < 1) {
    fmt::print(stderr,
               "usage: ringc-bare --rootfs DIR [--count N] [--parallel K] [--cgroups all|none] "
               "[--setup bare|mounts|config|process] [--netns new|warm] [--clone fork|shared] "
               "[--hold] [--json]\n");
    exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  const bool plain = o.setup == ringc::bench::Setup::process;
  std::vector<ringc::bench::Hierarchy> parents =
      o.cgroups && !plain ? ringc::bench::hierarchies() : std::vector<ringc::bench::Hierarchy>{};
  ringc::ring::Ring ring;
  const unsigned most = unsigned(o.hold ? o.count : o.parallel);  // launches with completions due
  if (!ring.init(std::min(4096u, most * (3 + unsigned(parents.size())) + 8))) {
    fmt::print(stderr, "ringc-bare: io_uring setup failed\n");
    return 1;
  }
  std::vector<Launch> all(size_t(o.count));
  std::vector<double> ms, to_running;
  int launched = 0, in_flight = 0, running = 0, done = 0, failed = 0, first_failure = 0;
  const std::string prefix = fmt::format("ringc-bare-{}-", getpid());

  // On a pure-v2 host the cgroup is made the cheapest way known, as ringc
  // makes it: IORING_OP_MKDIRAT (on io-wq, not this thread), then clone3
  // with CLONE_INTO_CGROUP, no migration. Elsewhere the child makes and
  // joins its directories.
  const bool into = parents.size() == 1 && parents[0].v2;
  const std::vector<ringc::bench::Hierarchy> none;
  // The default config's device rules: on v2 one BPF program, loaded here
  // once and attached by each child (as ringc's creator and init do).
  const int device_prog = o.setup == ringc::bench::Setup::config && o.cgroups
                              ? ringc::bench::preload_default_device_program()
                              : -1;
  const std::vector<std::string> no_dirs;
  // --netns warm: one network namespace, made here, that every child joins.
  int netns = -1;
  if (o.warm_netns && !plain) {
    int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    auto made = ringc::make_netns(home);
    close(home);
    if (!made) {
      fmt::print(stderr, "ringc-bare: {}\n", made.error().what());
      return 1;
    }
    netns = made.value().release();
  }
  const std::string program = o.rootfs + "/bin/true";
  auto clone_child = [&](size_t n) {
    Launch& l = all[n];
    if (plain) {  // posix_spawn returns once the program is exec'd
      char arg0[] = "true";
      char* argv[] = {arg0, nullptr};
      char* envp[] = {nullptr};
      pid_t pid = -1;
      if (int e = posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, envp); e != 0) {
        fmt::print(stderr, "ringc-bare: posix_spawn {}: {}\n", program, std::strerror(e));
        exit(1);
      }
      l.pidfd = ringc::sys::pidfd_open(pid);  // our unreaped child: the pid is still its
      if (l.pidfd < 0) {
        fmt::print(stderr, "ringc-bare: pidfd_open: {}\n", std::strerror(errno));
        exit(1);
      }
      l.running = Clock::now();
      l.exec_pipe = -1;
      l.pending = 1;  // no exec to wait for: only the exit
      ringc::ring::prep_exit_wait(ring, tag(n, kExit), l.pidfd, true, &l.info);
      return;
    }
    int pipe[2];
    if (pipe2(pipe, O_CLOEXEC) < 0) {
      fmt::print(stderr, "ringc-bare: pipe: {}\n", std::strerror(errno));
      exit(1);
    }
    int dir = -1;
    if (into && (dir = open(l.cgroups[0].c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
      fmt::print(stderr, "ringc-bare: open {}: {}\n", l.cgroups[0], std::strerror(errno));
      exit(1);
    }
    clone_args args{};
    args.flags = CLONE_PIDFD | CLONE_NEWPID | (into ? CLONE_INTO_CGROUP : 0);
    args.pidfd = uint64_t(uintptr_t(&l.pidfd));
    args.exit_signal = SIGCHLD;
    args.cgroup = into ? uint64_t(dir) : 0;
    auto plan_of = [&] {
      ringc::bench::ChildPlan plan{
          o.rootfs, o.setup, into ? none : parents, into ? no_dirs : l.cgroups, o.hold, device_prog,
          "",       netns};
      for (size_t h = 0; h < parents.size(); ++h)
        if (device_prog >= 0 ? parents[h].v2 : parents[h].devices) plan.device_dir = l.cgroups[h];
      return plan;
    };
    pid_t pid;
    if (o.shared) {
      l.donor = ringc::lend_donor();
      if (l.donor < 0) {
        fmt::print(stderr,
                   "ringc-bare: no donor free (at most 256 in flight with --clone shared)\n");
        exit(1);
      }
      // The child reads its plan until its exec: the donor keeps it.
      auto* plan = new ringc::bench::ChildPlan(plan_of());
      pid = ringc::clone_shared(
          l.donor, args,
          [](void* p) -> int {
            ringc::bench::bare_child(*static_cast<ringc::bench::ChildPlan*>(p));
          },
          plan, [](void* p) { delete static_cast<ringc::bench::ChildPlan*>(p); });
      if (pid < 0) {
        delete plan;
        errno = -pid;
      }
    } else {
      pid = ringc::sys::clone3(&args);
      if (pid == 0) ringc::bench::bare_child(plan_of());
      if (pid < 0) errno = -pid;
    }
    if (dir >= 0) close(dir);
    if (pid < 0) {
      fmt::print(stderr, "ringc-bare: clone3: {}\n", std::strerror(errno));
      exit(1);
    }
    close(pipe[1]);
    l.exec_pipe = pipe[0];
    l.pending = 2;
    ringc::ring::prep_read(ring, tag(n, kExec), l.exec_pipe, &l.byte, 1);
    ringc::ring::prep_exit_wait(ring, tag(n, kExit), l.pidfd, true, &l.info);
  };
  auto launch_next = [&] {
    size_t n = size_t(launched++);
    ++in_flight;
    Launch& l = all[n];
    for (const auto& p : parents) l.cgroups.push_back(fmt::format("{}/{}{}", p.path, prefix, n));
    l.t0 = Clock::now();
    if (into)
      ringc::ring::prep_mkdir(ring, tag(n, kMkdir), l.cgroups[0].c_str(), 0755);
    else
      clone_child(n);
  };
  // A place in flight is given up at the end of a launch: its exit and
  // its cgroups' removal, or with --hold its exec.
  auto give_up_place = [&] {
    --in_flight;
    if (launched < o.count) launch_next();
  };
  auto settle = [&](size_t n) {
    Launch& l = all[n];
    if (--l.pending > 0) return;
    ++done;
    auto since = [&](Clock::time_point t) {
      return std::chrono::duration<double, std::milli>(t - l.t0).count();
    };
    if (l.ok) {
      ms.push_back(since(Clock::now()));
      to_running.push_back(since(l.running));
    }
    if (!o.hold) give_up_place();
  };

  const double cpu0 = thread_cpu_us(), process0 = process_cpu_ms();
  const auto t0 = Clock::now();
  while (launched < std::min(o.parallel, o.count)) launch_next();
  ringc::ring::Completion cs[64];
  while (done < o.count) {
    if (!ring.wait()) return 1;
    for (unsigned got = ring.reap(cs, 64), i = 0; i < got; ++i) {
      size_t n = cs[i].user_data >> 2;
      Launch& l = all[n];
      Kind kind = Kind(cs[i].user_data & 3);
      if (kind == kMkdir) {
        if (cs[i].res < 0 && cs[i].res != -EEXIST) {
          fmt::print(stderr, "ringc-bare: mkdir {}: {}\n", l.cgroups[0], std::strerror(-cs[i].res));
          return 1;
        }
        clone_child(n);
        continue;
      }
      if (kind == kExec) {
        l.running = Clock::now();
        if (l.exec_pipe >= 0) close(l.exec_pipe);
        if (l.donor >= 0 && cs[i].res == 0) {  // EOF: exec'd, out of our memory
          ringc::give_back_donor(l.donor, true);
          l.donor = -1;
        }
        if (o.hold && ++running == o.count)  // all up: now they go
          for (auto& x : all)
            if (!x.exited) ringc::sys::pidfd_send_signal(x.pidfd, SIGKILL);
        if (o.hold) give_up_place();
      } else if (kind == kExit) {
        close(l.pidfd);
        l.exited = true;
        if (l.donor >= 0) {  // never exec'd: lent again only after a plain exit
          ringc::give_back_donor(l.donor, cs[i].res >= 0 && l.info.si_code == CLD_EXITED);
          l.donor = -1;
        }
        // Held ones end by our SIGKILL, once every one has run.
        l.ok =
            cs[i].res >= 0 && (o.hold ? l.info.si_code == CLD_KILLED && l.info.si_status == SIGKILL
                                      : l.info.si_code == CLD_EXITED && l.info.si_status == 0);
        if (!l.ok && failed++ == 0) first_failure = l.info.si_status;
        l.pending += int(l.cgroups.size());
        for (const auto& dir : l.cgroups)
          ringc::ring::prep_unlink(ring, tag(n, kRmdir), dir.c_str(), AT_REMOVEDIR);
      } else {
        // A child that failed early made fewer directories.
        if (cs[i].res < 0 && cs[i].res != -ENOENT) {
          fmt::print(stderr, "ringc-bare: rmdir: {}\n", std::strerror(-cs[i].res));
          if (l.ok && failed++ == 0) first_failure = -cs[i].res;
          l.ok = false;
        }
      }
      settle(n);
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
        "\"cgroup_hierarchies\":{},\"setup\":\"{}\",\"clone\":\"{}\"}}\n",
        o.count, failed, rate, percentile(ms, 50), percentile(ms, 95), percentile(ms, 99),
        percentile(to_running, 50), percentile(to_running, 99), cpu_ms, cpu_us, parents.size(),
        kSetupNames[int(o.setup)],
        plain      ? "spawn"
        : o.shared ? "shared"
                   : "fork");
  else
    fmt::print(
        "{} containers, {} failed, {:.0f}/s, p50 {:.2f} ms, CPU {:.2f} ms each (launcher {:.0f} "
        "µs)\n",
        o.count, failed, rate, percentile(ms, 50), cpu_ms, cpu_us);
  if (failed) fmt::print(stderr, "ringc-bare: first failure: exit {}\n", first_failure);
  return failed ? 1 : 0;
}
