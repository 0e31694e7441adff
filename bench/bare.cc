// ringc-bare: the kernel's own price for a container, paid with no runtime
// around it. The floor that `ringc batch` is measured against in the same
// run (scripts/bench-batch.sh).
//
//   ringc-bare --rootfs DIR [--count N] [--parallel K]
//              [--cgroups all|none] [--mounts none|std] [--json]
//
// One thread drives K children at a time on an io_uring: clone3 with
// CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWNS; the child unshares its net, ipc
// and uts namespaces on its own core, sets a hostname, makes and joins its
// cgroup, binds DIR onto itself, pivots into it, remounts it read-only and
// execs /bin/true. The exit is an IORING_OP_WAITID completion, the cgroup
// removal an IORING_OP_UNLINKAT; then the slot takes the next launch.
//
// --cgroups all: a directory in every hierarchy mounted under
//   /sys/fs/cgroup, the way ringc's default layout does it (one on a pure-v2
//   host, one per v1 hierarchy on a legacy one); none: no cgroup at all.
// --mounts std: also the six filesystems the default config mounts (proc,
//   a /dev tmpfs, devpts, a /dev/shm tmpfs, mqueue, read-only sysfs), but
//   not its masked or read-only paths, devices or cgroup view; none: only
//   the root bind and pivot_root (the definition of the floor).
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/stats.h"
#include "core/sys.h"
#include "ring/ops.h"
#include "ring/ring.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string rootfs;
  int count = 1000, parallel = 32;
  bool cgroups = true, mounts = false, json = false;
};

// The child's steps; the exit code names the one that failed.
[[noreturn]] void fail(int step, const char* what) {
  fmt::print(stderr, "ringc-bare: {}: {}\n", what, std::strerror(errno));
  _exit(step);
}

// A hierarchy to make a directory in. A v1 cpuset's new directory takes
// no task until its cpus and mems are filled in (from the root's here),
// and gets load balancing off first, as ringc's do (cgroup/manager.cc).
struct Hierarchy {
  std::string path, cpus, mems;
};

std::string first_line(const std::string& file) {
  std::string s;
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  char buf[256];
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
  if (n > 0) s.assign(buf, size_t(n));
  if (fd >= 0) close(fd);
  return s.substr(0, s.find('\n'));
}

// Every cgroup hierarchy mounted directly under /sys/fs/cgroup (a v1
// controller's symlinked aliases skipped), or the root itself when it is
// cgroup2.
std::vector<Hierarchy> hierarchies() {
  struct statfs fs {};
  if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
    return {{"/sys/fs/cgroup", "", ""}};
  std::vector<Hierarchy> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/fs/cgroup", ec)) {
    if (e.is_symlink(ec)) continue;
    std::string p = e.path();
    if (statfs(p.c_str(), &fs) < 0) continue;
    if (fs.f_type == CGROUP2_SUPER_MAGIC) out.push_back({p, "", ""});
    if (fs.f_type != CGROUP_SUPER_MAGIC) continue;
    out.push_back({p, first_line(p + "/cpuset.cpus"), first_line(p + "/cpuset.mems")});
  }
  return out;
}

void write_or_fail(int step, const std::string& file, const std::string& value) {
  int fd = open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, value.data(), value.size()) != ssize_t(value.size()))
    fail(step, file.c_str());
  close(fd);
}

void mount_or_fail(int step, const char* src, const char* dst, const char* type,
                   unsigned long flags, const char* data) {
  if (mount(src, dst, type, flags, data) < 0) fail(step, dst);
}

[[noreturn]] void child(const Options& o, const std::vector<Hierarchy>& parents,
                        const std::vector<std::string>& cgroups) {
  if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) < 0) fail(10, "unshare");
  if (sethostname("bare", 4) < 0) fail(11, "sethostname");
  mount_or_fail(12, nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  for (size_t i = 0; i < cgroups.size(); ++i) {
    const std::string& dir = cgroups[i];
    if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) fail(13, dir.c_str());
    if (!parents[i].cpus.empty()) {
      write_or_fail(14, dir + "/cpuset.sched_load_balance", "0");
      write_or_fail(14, dir + "/cpuset.cpus", parents[i].cpus);
      write_or_fail(14, dir + "/cpuset.mems", parents[i].mems);
    }
    write_or_fail(14, dir + "/cgroup.procs", "0");
  }
  const char* root = o.rootfs.c_str();
  mount_or_fail(15, root, root, nullptr, MS_BIND | MS_REC, nullptr);
  if (chdir(root) < 0) fail(16, "chdir rootfs");
  if (o.mounts) {
    const unsigned long safe = MS_NOSUID | MS_NOEXEC | MS_NODEV;
    mount_or_fail(17, "proc", "proc", "proc", safe, nullptr);
    mount_or_fail(17, "tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
    for (const char* d : {"dev/pts", "dev/shm", "dev/mqueue"})
      if (mkdir(d, 0755) < 0) fail(18, d);
    mount_or_fail(17, "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                  "newinstance,ptmxmode=0666,mode=0620");
    mount_or_fail(17, "shm", "dev/shm", "tmpfs", safe, "mode=1777,size=65536k");
    mount_or_fail(17, "mqueue", "dev/mqueue", "mqueue", safe, nullptr);
    mount_or_fail(17, "sysfs", "sys", "sysfs", safe | MS_RDONLY, nullptr);
  }
  if (ringc::sys::pivot_root(".", ".") < 0) fail(19, "pivot_root");
  if (umount2(".", MNT_DETACH) < 0) fail(20, "umount old root");
  if (chdir("/") < 0) fail(21, "chdir /");
  mount_or_fail(22, nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
  char arg0[] = "true";
  char* argv[] = {arg0, nullptr};
  char* envp[] = {nullptr};
  execve("/bin/true", argv, envp);
  fail(23, "execve /bin/true");
}

struct Slot {
  int pidfd = -1;
  siginfo_t info{};
  Clock::time_point t0;
  std::vector<std::string> cgroups;
  int rmdirs_left = 0;
  bool ok = false;
};

enum Kind : uint64_t { kExit = 0, kRmdir = 1 };
uint64_t tag(size_t slot, Kind k) {
  return (uint64_t(slot) << 1) | k;
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
    else if (a == "--mounts")
      o.mounts = next() == "std";
    else if (a == "--json")
      o.json = true;
    else {
      fmt::print(stderr, "ringc-bare: unknown argument {}\n", a);
      exit(2);
    }
  }
  if (o.rootfs.empty() || o.count < 1 || o.parallel < 1) {
    fmt::print(stderr,
               "usage: ringc-bare --rootfs DIR [--count N] [--parallel K] [--cgroups all|none] "
               "[--mounts none|std] [--json]\n");
    exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::vector<Hierarchy> parents = o.cgroups ? hierarchies() : std::vector<Hierarchy>{};
  ringc::ring::Ring ring;
  if (!ring.init(unsigned(o.parallel) * (2 + parents.size()) + 8)) {
    fmt::print(stderr, "ringc-bare: io_uring setup failed\n");
    return 1;
  }
  std::vector<Slot> slots(size_t(std::min(o.parallel, o.count)));
  std::vector<double> ms;
  int launched = 0, done = 0, failed = 0, first_failure = 0;
  const std::string prefix = fmt::format("ringc-bare-{}-", getpid());

  auto launch = [&](size_t s) {
    Slot& slot = slots[s];
    slot.cgroups.clear();
    for (const auto& p : parents) slot.cgroups.push_back(fmt::format("{}/{}{}", p.path, prefix, s));
    slot.t0 = Clock::now();
    ++launched;
    clone_args args{};
    args.flags = CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWNS;
    args.pidfd = uint64_t(uintptr_t(&slot.pidfd));
    args.exit_signal = SIGCHLD;
    pid_t pid = ringc::sys::clone3(&args);
    if (pid == 0) child(o, parents, slot.cgroups);
    if (pid < 0) {
      fmt::print(stderr, "ringc-bare: clone3: {}\n", std::strerror(errno));
      exit(1);
    }
    ringc::ring::prep_exit_wait(ring, tag(s, kExit), slot.pidfd, true, &slot.info);
  };
  // A slot is done once its child is reaped and its cgroups removed.
  auto finished = [&](size_t s) {
    ++done;
    if (slots[s].ok)
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - slots[s].t0).count());
    if (launched < o.count) launch(s);
  };

  const double cpu0 = thread_cpu_us(), process0 = process_cpu_ms();
  const auto t0 = Clock::now();
  for (size_t s = 0; s < slots.size(); ++s) launch(s);
  ringc::ring::Completion cs[64];
  while (done < o.count) {
    if (!ring.wait()) return 1;
    for (unsigned n = ring.reap(cs, 64), i = 0; i < n; ++i) {
      size_t s = cs[i].user_data >> 1;
      Slot& slot = slots[s];
      if ((cs[i].user_data & 1) == kExit) {
        close(slot.pidfd);
        slot.ok = cs[i].res >= 0 && slot.info.si_code == CLD_EXITED && slot.info.si_status == 0;
        if (!slot.ok && failed++ == 0) first_failure = slot.info.si_status;
        slot.rmdirs_left = int(slot.cgroups.size());
        for (const auto& dir : slot.cgroups)
          ringc::ring::prep_unlink(ring, tag(s, kRmdir), dir.c_str(), AT_REMOVEDIR);
        if (slot.cgroups.empty()) finished(s);
      } else {
        // A child that failed early made fewer directories.
        if (cs[i].res < 0 && cs[i].res != -ENOENT) {
          fmt::print(stderr, "ringc-bare: rmdir: {}\n", std::strerror(-cs[i].res));
          if (slot.ok && failed++ == 0) first_failure = -cs[i].res;
          slot.ok = false;
        }
        if (--slot.rmdirs_left == 0) finished(s);
      }
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
        "\"p95_ms\":{:.2f},\"p99_ms\":{:.2f},\"cpu_ms_per_container\":{:.3f},"
        "\"launcher_cpu_us_per_container\":{:.0f},"
        "\"cgroup_hierarchies\":{},\"mounts\":\"{}\"}}\n",
        o.count, failed, rate, percentile(ms, 50), percentile(ms, 95), percentile(ms, 99), cpu_ms,
        cpu_us, parents.size(), o.mounts ? "std" : "none");
  else
    fmt::print(
        "{} containers, {} failed, {:.0f}/s, p50 {:.2f} ms, CPU {:.2f} ms each (launcher {:.0f} "
        "µs)\n",
        o.count, failed, rate, percentile(ms, 50), cpu_ms, cpu_us);
  if (failed) fmt::print(stderr, "ringc-bare: first failure: exit {}\n", first_failure);
  return failed ? 1 : 0;
}
