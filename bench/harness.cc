#include "bench/harness.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>

#include "bench/bare_child.h"
#include "cgroup/layout.h"
#include "cgroup/manager.h"
#include "core/base/sys.h"
#include "core/engine/batch.h"
#include "core/engine/runtime.h"
#include "core/spec/spec.h"
#include "ring/ops.h"
#include "ring/ring.h"

namespace ringc::bench {

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A command of a runtime in flight: one per container at a time.
struct Proc {
  pid_t pid = -1;
  int pidfd = -1;
};

// Starts argv, stdout to /dev/null, stderr to err_file (for the reason
// of a failure), with env (NAME=VALUE, or empty) added to its environment.
Result<Proc> spawn(const std::vector<std::string>& argv, const std::string& err_file,
                   const std::string& env) {
  std::vector<char*> a;
  for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  Proc p;
  p.pid = sys::fork_pidfd(&p.pidfd);
  if (p.pid == 0) {
    int null = ::open("/dev/null", O_RDWR);
    int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(err >= 0 ? err : null, 2);
    if (!env.empty()) ::putenv(const_cast<char*>(env.c_str()));
    ::execv(a[0], a.data());
    ::_exit(127);
  }
  if (p.pid < 0) return neg_error(p.pid, "clone3 " + argv[0]);
  return p;
}

// The physical limit: what any runtime must at least do for a container
// (pid, mount, uts, ipc and net namespaces, a cgroup, pivot_root, exec,
// reap), with no runtime around it: ringc-bare's child (bench/bare_child.h,
// Setup::bare), which does its own unsharing on its own core. `cgroup` is
// the container's directory: a v2 one is joined by clone3 (cgroup_fd), a
// v1 one by writing tasks.
Result<Proc> spawn_limit(const std::string& rootfs, const std::string& cgroup, int cgroup_fd) {
  Proc p;
  clone_args args{};
  args.flags = CLONE_PIDFD | CLONE_NEWPID | CLONE_NEWNS | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.pidfd = reinterpret_cast<uint64_t>(&p.pidfd);
  args.exit_signal = SIGCHLD;
  args.cgroup = cgroup_fd >= 0 ? uint64_t(cgroup_fd) : 0;
  p.pid = sys::clone3(&args);
  if (p.pid == 0) {
    if (cgroup_fd < 0) {
      int t = ::open((cgroup + "/tasks").c_str(), O_WRONLY);
      if (t < 0 || ::write(t, "0", 1) != 1) ::_exit(120);
    }
    bare_child(ChildPlan{rootfs, Setup::bare, {}, {}, false, -1, ""});
  }
  if (p.pid < 0) return neg_error(p.pid, "clone3 (physical limit)");
  return p;
}

std::string last_line(const std::string& file) {
  std::ifstream in(file);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

// The steps of one container for a workload: the commands, in order.
// lifecycle awaits the container's exit before its last (delete); idle
// starts every container first (phase 0), then stops each (phase 1): TERM,
// the exit awaited for the grace period, KILL only if it ran out, delete.
std::vector<std::vector<std::string>> steps(const Contestant& c, Workload w,
                                            const std::string& root, const std::string& bundle,
                                            const std::string& id, const std::string& pid_file,
                                            int phase = 0) {
  std::vector<std::string> base = {c.path, "--root", root};
  if (c.kind == Contestant::Kind::daemon) base = {c.path, "--daemon", c.socket};
  auto cmd = [&](std::initializer_list<std::string> rest) {
    std::vector<std::string> v = base;
    v.insert(v.end(), rest);
    return v;
  };
  if (w == Workload::lifecycle)
    return {cmd({"create", "--bundle", bundle, "--pid-file", pid_file, id}), cmd({"start", id}),
            cmd({"delete", id})};
  if (w == Workload::idle && phase == 0)
    return {cmd({"run", "--detach", "--bundle", bundle, "--pid-file", pid_file, id})};
  if (w == Workload::idle)
    return {cmd({"kill", id, "TERM"}), cmd({"kill", id, "KILL"}), cmd({"delete", id})};
  return {cmd({"run", "--bundle", bundle, id})};
}

// Runs count containers of one workload for one contestant, `parallel` in
// flight, every wait a ring completion.
class RoundRunner {
 public:
  RoundRunner(ring::Ring& ring, const Contestant& c, Workload w, const std::string& work,
              const std::string& roots, const std::string& bundle, const std::string& rootfs,
              const cgroup::Host* host, int round)
      : ring_(ring), c_(c), w_(w), bundle_(bundle), rootfs_(rootfs), host_(host) {
    root_ = fmt::format("{}/root-{}", roots, c.name);
    prefix_ = fmt::format("b{}-{}-{}", round, name(w), c.name);
    tmp_ = work;
  }

  Result<Round> run(int count, int parallel, int grace_ms) {
    std::filesystem::create_directories(root_);
    grace_ = ring::to_timespec(std::chrono::milliseconds(grace_ms));
    inits_.assign(size_t(count), -1);
    auto t0 = Clock::now();
    for (phase_ = 0; phase_ < (w_ == Workload::idle ? 2 : 1); ++phase_) {
      slots_.assign(size_t(parallel), {});
      started_ = 0;
      for (auto& s : slots_) {
        RINGC_TRY(next_container(s, count));
      }
      while (in_flight() > 0) {
        if (auto r = ring_.wait(); !r) return Error{r.error(), "io_uring"};
        ring::Completion batch[16];
        unsigned n = ring_.reap(batch, 16);
        for (unsigned i = 0; i < n; ++i) {
          if (batch[i].user_data == ring::kIgnored) continue;  // a linked timeout's own
          RINGC_TRY(on_completion(batch[i], count));
        }
      }
    }
    for (int fd : inits_)
      if (fd >= 0) ::close(fd);
    round_.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    round_.count = count;
    cleanup();
    return round_;
  }

 private:
  struct Slot {
    int container = -1;
    size_t step = 0;
    Proc proc;
    int init_pidfd = -1;  // lifecycle: the container's init, awaited before delete
    std::string cgroup;   // the physical limit's
    Clock::time_point t0;
    bool busy = false;
  };

  int in_flight() const {
    int n = 0;
    for (auto& s : slots_) n += s.busy;
    return n;
  }
  std::string id(int n) const { return fmt::format("{}-{}", prefix_, n); }
  std::string err_file(size_t slot) const { return fmt::format("{}/err-{}", tmp_, slot); }
  std::string pid_file(size_t slot) const { return fmt::format("{}/pid-{}", tmp_, slot); }

  Result<void> next_container(Slot& s, int count) {
    // idle's stop phase: only the containers that started.
    while (phase_ == 1 && started_ < count && inits_[size_t(started_)] < 0) ++started_;
    if (started_ >= count) {
      s.busy = false;
      return outcome::success();
    }
    s.container = started_++;
    s.step = 0;
    s.t0 = Clock::now();
    s.busy = true;
    return start_step(s);
  }

  Result<void> start_step(Slot& s) {
    size_t slot = size_t(&s - slots_.data());
    if (c_.kind ==
        Contestant::Kind::physical_limit) {  // the physical limit: one cgroup per container
      const cgroup::Host* host = host_;
      s.cgroup = fmt::format("/ringc-limit/{}", id(s.container));
      if (auto r = cgroup::create(*host, s.cgroup, cgroup::Part::all); !r)
        return Error{r.error(), "cgroup for the physical limit"};
      const cgroup::Hierarchy* v1 = host->v1("pids");
      if (!v1 && !host->hierarchies.empty() && !host->hierarchies.front().v2)
        v1 = &host->hierarchies.front();
      int fd = -1;
      if (host->layout == cgroup::Layout::unified) {
        auto dir = cgroup::open_v2_dir(*host, s.cgroup);
        if (!dir) return Error{dir.error(), "open cgroup " + s.cgroup};
        fd = dir.value();
      }
      sys::UniqueFd v2(fd);
      std::string dir = v1 ? v1->mount + s.cgroup : "";
      RINGC_TRY(s.proc, spawn_limit(rootfs_, dir, v2.get()));
      if (!ring::prep_poll_in(ring_, slot * 2, s.proc.pidfd))
        return sys_error(EBUSY, "io_uring: no submission entry");
      return outcome::success();
    }
    auto cmds = steps(c_, w_, root_, bundle_, id(s.container), pid_file(slot), phase_);
    RINGC_TRY(s.proc, spawn(cmds[s.step], err_file(slot), c_.env));
    if (!ring::prep_poll_in(ring_, slot * 2, s.proc.pidfd))
      return sys_error(EBUSY, "io_uring: no submission entry");
    return outcome::success();
  }

  Result<void> on_completion(const ring::Completion& c, int count) {
    size_t slot = size_t(c.user_data / 2);
    Slot& s = slots_[slot];
    if (c.user_data % 2 == 1) {  // the container's init exited, or idle's grace ran out
      if (w_ == Workload::idle) {
        s.step = c.res == -ECANCELED ? 1 : 2;  // KILL, or straight to delete
        return start_step(s);
      }
      ::close(s.init_pidfd);
      s.init_pidfd = -1;
      ++s.step;
      return start_step(s);
    }
    // A runtime command exited: its own rusage, without waiting.
    int status = 0;
    rusage ru{};
    ::wait4(s.proc.pid, &status, 0, &ru);
    ::close(s.proc.pidfd);
    if (!s.cgroup.empty()) {
      (void)cgroup::destroy(*host_, s.cgroup);
      s.cgroup.clear();
    }
    round_.cpu_ms += double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                     double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    round_.peak_rss_kib = std::max(round_.peak_rss_kib, ru.ru_maxrss);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    auto cmds = steps(c_, w_, root_, bundle_, id(s.container), pid_file(slot), phase_);
    if (!ok) {
      ++round_.failed;
      round_.last_error = last_line(err_file(slot));
      failed_ids_.push_back(id(s.container));
      return next_container(s, count);
    }
    if (w_ == Workload::idle && phase_ == 0) {  // running: hold its init for the stop
      std::ifstream in(pid_file(slot));
      pid_t pid = 0;
      in >> pid;
      inits_[size_t(s.container)] = sys::pidfd_open(pid);
      return next_container(s, count);
    }
    if (w_ == Workload::idle && s.step < 2) {  // signalled: await the exit
      int fd = inits_[size_t(s.container)];
      bool ok_sqe = ring_.reserve(2) && ring::prep_poll_in(ring_, slot * 2 + 1, fd);
      if (ok_sqe && s.step == 0) ok_sqe = ring::link_timeout(ring_, &grace_);
      if (!ok_sqe) return sys_error(EBUSY, "io_uring: no submission entry");
      return outcome::success();
    }
    if (s.step + 1 < cmds.size()) {
      if (w_ == Workload::lifecycle && s.step == 1) {  // started: await the init's exit
        std::ifstream in(pid_file(slot));
        pid_t pid = 0;
        in >> pid;
        s.init_pidfd = sys::pidfd_open(pid);
        if (s.init_pidfd >= 0) {
          if (!ring::prep_poll_in(ring_, slot * 2 + 1, s.init_pidfd))
            return sys_error(EBUSY, "io_uring: no submission entry");
          return outcome::success();
        }
      }
      ++s.step;
      return start_step(s);
    }
    round_.latencies_ms.push_back(ms_since(s.t0));
    return next_container(s, count);
  }

  // Whatever a failing contestant left: delete --force each id it failed
  // on, then the root folder.
  void cleanup() {
    constexpr uint64_t kCleanup = ~uint64_t(0) - 1;
    for (auto& i : failed_ids_) {
      std::vector<std::string> del = {c_.path, "--root", root_, "delete", "--force", i};
      if (c_.kind == Contestant::Kind::daemon)
        del = {c_.path, "--daemon", c_.socket, "delete", "--force", i};
      auto p = spawn(del, tmp_ + "/err-cleanup", c_.env);
      if (!p) continue;
      if (ring::prep_poll_in(ring_, kCleanup, p.value().pidfd)) (void)ring_.await(kCleanup);
      int status;
      ::waitpid(p.value().pid, &status, 0);  // exited: reaps at once
      ::close(p.value().pidfd);
    }
    std::error_code ec;
    if (c_.kind != Contestant::Kind::daemon) std::filesystem::remove_all(root_, ec);
    if (c_.kind == Contestant::Kind::physical_limit) (void)cgroup::destroy(*host_, "/ringc-limit");
  }

  ring::Ring& ring_;
  const Contestant& c_;
  Workload w_;
  std::string bundle_, rootfs_, root_, prefix_, tmp_;
  const cgroup::Host* host_;  // for the physical limit's cgroups
  std::vector<Slot> slots_;
  int started_ = 0;
  Round round_;
  std::vector<std::string> failed_ids_;
  int phase_ = 0;
  std::vector<int> inits_;  // idle: each running container's init pidfd
  __kernel_timespec grace_{};
};

// ringc's engine in this process: a batch of count, `parallel` in flight,
// each timed from launch to nothing left.
// With `pooled`, its network namespace and cgroup pools (docs/pools.md),
// as many of each as are in flight: recycled starts.
Result<Round> engine_round(const std::string& roots, const std::string& bundle, int count,
                           int parallel, int round, bool pooled) {
  std::string root = roots + "/root-engine";
  Runtime rt(root);
  BatchOptions bo;
  bo.bundle = bundle;
  bo.count = uint64_t(count);
  bo.parallel = unsigned(parallel);
  bo.prefix = fmt::format("b{}-engine", round);
  if (pooled) bo.netns_pool = bo.cgroup_pool = unsigned(std::min(parallel, 4096));
  auto rep = run_batch(rt, bo, nullptr);
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  if (!rep) return rep.error();
  Round r;
  r.count = count;
  r.failed = int(rep.value().failed);
  r.seconds = rep.value().seconds;
  r.latencies_ms = rep.value().total_ms;
  r.cpu_ms = rep.value().cpu_ms_per_container * count;
  r.peak_rss_kib = long(rep.value().peak_rss_kib);
  if (!rep.value().failures.empty()) r.last_error = rep.value().failures.front();
  return r;
}

// A built-in bundle: the host's static busybox running `args` (a JSON
// array).
Result<std::string> make_bundle(const std::string& work, const std::string& name,
                                const std::string& args) {
  std::string dir = work + "/" + name, rootfs = dir + "/rootfs";
  std::error_code ec;
  for (const char* d : {"bin", "proc", "sys", "dev", "tmp", "etc"})
    std::filesystem::create_directories(rootfs + "/" + d, ec);
  std::filesystem::copy_file("/bin/busybox", rootfs + "/bin/busybox", ec);
  if (ec)
    return ringc_error(Errc::bad_usage,
                       "bench: the built-in bundle needs /bin/busybox (apt-get install "
                       "busybox-static), or give -b BUNDLE");
  for (const char* applet : {"sh", "true", "sleep"})
    std::filesystem::create_symlink("busybox", rootfs + "/bin/" + applet, ec);
  std::string cfg = default_spec_json();
  auto sub = [&](std::string_view from, std::string_view to) {
    size_t at = cfg.find(from);
    if (at != std::string::npos) cfg.replace(at, from.size(), to);
  };
  sub("\"terminal\": true", "\"terminal\": false");
  sub("\"args\": [\n\t\t\t\"sh\"\n\t\t]", "\"args\": " + args);
  std::ofstream(dir + "/config.json") << cfg;
  return dir;
}

Result<void> hide_unified() {
  if (::unshare(CLONE_NEWNS) < 0) return sys_error(errno, "unshare mount namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0)
    return sys_error(errno, "make / private");
  if (::umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
    return sys_error(errno, "unmount /sys/fs/cgroup/unified");
  return outcome::success();
}
}  // namespace

// A `ringc daemon` for a daemon contestant, on a root of its own, with its
// pool of the bundle: started before the rounds (its "listening" line
// awaited through the ring), stopped (TERM, its exit awaited) after them.
class DaemonUnderTest {
 public:
  ~DaemonUnderTest() { stop(); }
  Result<void> start(ring::Ring& ring, Contestant& c, const std::string& roots,
                     const std::string& work, const std::string& bundle) {
    ring_ = &ring;
    c.socket = fmt::format("{}/{}.sock", work, c.name);
    std::vector<std::string> argv = {c.path,   "--root",   roots + "/root-" + c.name,
                                     "daemon", "--socket", c.socket};
    if (c.pool) {
      argv.push_back("--pool");
      argv.push_back(fmt::format("{}={}", bundle, std::min(c.pool, 4096u)));
    }
    int out[2];
    if (::pipe2(out, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    pid_ = sys::fork_pidfd(&pidfd_);
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::execv(a[0], a.data());
      ::_exit(127);
    }
    ::close(out[1]);
    sys::UniqueFd r(out[0]);
    if (pid_ < 0) return neg_error(pid_, "start the daemon");
    std::string line;
    constexpr uint64_t kRead = ~uint64_t(0) - 2;
    while (line.find('\n') == std::string::npos) {
      if (!ring::prep_poll_in(ring, kRead, r.get())) return sys_error(EBUSY, "io_uring");
      (void)ring.await(kRead);
      char buf[256];
      ssize_t n = ::read(r.get(), buf, sizeof buf);
      if (n <= 0) return ringc_error(Errc::init_failed, "bench: the daemon did not start: " + line);
      line.append(buf, size_t(n));
    }
    return outcome::success();
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    constexpr uint64_t kExit = ~uint64_t(0) - 3;
    if (ring::prep_poll_in(*ring_, kExit, pidfd_)) (void)ring_->await(kExit);
    ::waitpid(pid_, nullptr, 0);  // exited: reaps at once
    ::close(pidfd_);
    pid_ = -1;
  }

 private:
  ring::Ring* ring_ = nullptr;
  pid_t pid_ = -1;
  int pidfd_ = -1;
};

Result<std::vector<Summary>> run(const Options& o_in,
                                 const std::function<void(std::string_view)>& progress) {
  Options o = o_in;  // daemon contestants get their sockets
  if (o.runtimes.empty()) return ringc_error(Errc::bad_usage, "bench: no runtime to measure");
  if (o.hide_unified) {
    RINGC_TRY(hide_unified());
  }
  char tmpl[] = "/tmp/ringc-bench.XXXXXX";
  if (!::mkdtemp(tmpl)) return sys_error(errno, "mkdtemp");
  std::string work = tmpl;
  std::string roots = o.state_tmpfs ? work + "/state" : work;
  struct Remove {
    std::string dir, mounted;
    ~Remove() {
      if (!mounted.empty()) (void)::umount2(mounted.c_str(), MNT_DETACH);
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } remove{work, {}};
  if (o.state_tmpfs) {
    if (::mkdir(roots.c_str(), 0700) < 0) return sys_error(errno, "mkdir " + roots);
    if (::mount("tmpfs", roots.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0)
      return sys_error(errno, "mount a tmpfs on " + roots);
    remove.mounted = roots;
  }
  std::string bundle = o.bundle;
  std::string idle_bundle = bundle;
  if (bundle.empty()) {
    RINGC_TRY(bundle, make_bundle(work, "bundle", "[\"true\"]"));
    // idle's containers run until TERM, which they honour at once.
    RINGC_TRY(idle_bundle, make_bundle(work, "bundle-idle",
                                       R"(["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"])"));
  }
  idle_bundle = std::filesystem::absolute(idle_bundle).string();
  bundle = std::filesystem::absolute(bundle).string();
  RINGC_TRY(auto spec, load_spec(bundle));
  const cgroup::Host* host = nullptr;
  for (auto& c : o.runtimes)
    if (c.kind == Contestant::Kind::physical_limit && !host) {
      auto h = cgroup::detect();
      if (!h) return Error{h.error(), "detect cgroups"};
      host = h.value();
    }
  std::string rootfs = spec.root_path[0] == '/' ? spec.root_path : bundle + "/" + spec.root_path;
  ring::Ring ring;
  if (auto r = ring.init(64); !r) return Error{r.error(), "io_uring setup"};
  std::vector<std::unique_ptr<DaemonUnderTest>> daemons;
  for (auto& c : o.runtimes)
    if (c.kind == Contestant::Kind::daemon) {
      daemons.push_back(std::make_unique<DaemonUnderTest>());
      RINGC_TRY(daemons.back()->start(ring, c, roots, work, bundle));
    }
  std::vector<Summary> out;
  for (Workload w : o.workloads) {
    // burst: each K asked for; idle: its stops and starts at the largest;
    // the sequential ones at 1.
    std::vector<int> ks = w == Workload::burst  ? o.parallel
                          : w == Workload::idle ? std::vector<int>{o.parallel.back()}
                                                : std::vector<int>{1};
    for (int parallel : ks) {
      std::vector<std::vector<Round>> rounds(o.runtimes.size());
      for (int r = 0; r < o.rounds; ++r)
        for (int i : interleave(int(o.runtimes.size()), r)) {
          const Contestant& c = o.runtimes[size_t(i)];
          if (progress)
            progress(
                fmt::format("{} {} K={} round {}/{}", c.name, name(w), parallel, r + 1, o.rounds));
          if ((c.kind == Contestant::Kind::engine || c.kind == Contestant::Kind::physical_limit) &&
              (w == Workload::lifecycle || w == Workload::idle))
            continue;  // a lifecycle is a command line's
          Round round;
          if (c.kind == Contestant::Kind::engine) {
            RINGC_TRY(round, engine_round(roots, bundle, o.count, parallel, r, c.pool > 0));
          } else {
            RoundRunner rr(ring, c, w, work, roots, w == Workload::idle ? idle_bundle : bundle,
                           rootfs, host, r);
            RINGC_TRY(round, rr.run(o.count, parallel, o.grace_ms));
          }
          rounds[size_t(i)].push_back(std::move(round));
        }
      for (size_t i = 0; i < o.runtimes.size(); ++i)
        if (!rounds[i].empty())
          out.push_back(summarize(o.runtimes[i].name, w, parallel, rounds[i]));
    }
  }
  set_ratios(out, o.baseline);
  return out;
}

}  // namespace ringc::bench
