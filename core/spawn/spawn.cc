#include "core/spawn/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "core/base/sys.h"
#include "core/init/process_setup.h"
#include "core/spawn/shared_clone.h"

namespace ringc {

namespace {
// Joins a pid namespace given by path for the next child only: setns
// changes pid_for_children, and we switch back to our own right after.
class PidNsForChildren {
 public:
  Result<void> enter(const std::string& path) {
    target_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (target_ < 0) return sys_error(errno, "open " + path);
    self_ = ::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (self_ < 0 || ::setns(target_, CLONE_NEWPID) < 0) return sys_error(errno, "setns " + path);
    return outcome::success();
  }
  ~PidNsForChildren() {
    if (self_ >= 0) {
      ::setns(self_, CLONE_NEWPID);
      ::close(self_);
    }
    if (target_ >= 0) ::close(target_);
  }

 private:
  int target_ = -1, self_ = -1;
};
[[noreturn]] void run_init(const SpawnPlan& plan, int sock) {
  Error e = child_main(plan, sock);
  (void)send_message(sock, error_message(e));
  ::_exit(1);
}

// What a shared clone's child reads: the plan (the caller's is on its
// stack) and its ends of the pair, kept by the donor until its exec.
struct SharedChild {
  SpawnPlan plan;
  int sock = -1, parents = -1;
};
int shared_child_main(void* arg) {
  auto* c = static_cast<SharedChild*>(arg);
  ::close(c->parents);
  run_init(c->plan, c->sock);
}
void release_shared_child(void* arg) {
  delete static_cast<SharedChild*>(arg);
}

// A user namespace given by path (a Kubernetes pod's): clone3 can only
// make one, and setns into one is for good, so a short-lived process
// joins it and clones the init from there (CLONE_PARENT: still our child,
// its exit ours to wait for), the pid namespace then owned by the joined
// one, as CLONE_NEWUSER|CLONE_NEWPID would have it. That process reports
// the init's pid (or -errno) on a pipe and exits; both are waited for
// here, a few hundred microseconds.
Result<Spawned> spawn_in_user_ns(const SpawnPlan& plan, const std::string& path, uint64_t flags,
                                 int sv[2]) {
  sys::UniqueFd ours(sv[0]), theirs(sv[1]);
  sys::UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (ns.get() < 0) return sys_error(errno, "open user namespace " + path);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  sys::UniqueFd report_r(report[0]), report_w(report[1]);
  clone_args outer{};
  outer.flags = flags & CLONE_INTO_CGROUP;  // the init is cloned in its cgroup
  outer.exit_signal = SIGCHLD;
  outer.cgroup = plan.cgroup_v2_fd >= 0 ? uint64_t(plan.cgroup_v2_fd) : 0;
  pid_t middle = sys::clone3(&outer);
  if (middle < 0) return neg_error(middle, "clone3");
  if (middle == 0) {
    ::close(sv[0]);
    int32_t got = ::setns(ns.get(), CLONE_NEWUSER) < 0 ? -errno : 0;
    if (got == 0) {
      clone_args args{};
      args.flags = (flags & ~(CLONE_PIDFD | CLONE_INTO_CGROUP | CLONE_NEWUSER)) | CLONE_PARENT;
      got = sys::clone3(&args);
      if (got == 0) run_init(plan, sv[1]);
    }
    (void)!::write(report[1], &got, sizeof got);
    ::_exit(0);
  }
  report_w.reset();
  theirs.reset();
  int32_t got = 0;
  ssize_t n;
  do n = ::read(report_r.get(), &got, sizeof got);
  while (n < 0 && errno == EINTR);
  siginfo_t info{};
  (void)::waitid(P_PID, id_t(middle), &info, WEXITED);
  if (n != ssize_t(sizeof got)) return sys_error(EIO, "clone the init in user namespace " + path);
  if (got < 0) return neg_error(got, "join user namespace " + path);
  // Our child, not reaped: the pid is its own until we wait for it.
  int pidfd = sys::pidfd_open(got);
  if (pidfd < 0) return sys_error(errno, "pidfd_open");
  return Spawned{got, pidfd, ours.release()};
}
}  // namespace

Result<Spawned> spawn(const SpawnPlan& plan) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return sys_error(errno, "socketpair");

  uint64_t flags = CLONE_PIDFD;
  PidNsForChildren pidns;
  if (const Namespace* ns = plan.spec->linux_cfg.find(NsType::pid)) {
    if (ns->path.empty())
      flags |= CLONE_NEWPID;
    else if (auto r = pidns.enter(ns->path); !r)
      return r.error();
  }
  if (plan.cgroup_v2_fd >= 0) flags |= CLONE_INTO_CGROUP;
  // With the pid namespace in the same clone3, the user namespace owns it:
  // the container can mount its own /proc.
  if (plan.userns) flags |= CLONE_NEWUSER;  // a new one: spawn_in_user_ns joins one
  if (plan.as_sibling) flags |= CLONE_PARENT;

  const Namespace* user = plan.spec->linux_cfg.find(NsType::user);
  if (user && !user->path.empty()) return spawn_in_user_ns(plan, user->path, flags, sv);

  int pidfd = -1;
  clone_args args{};
  args.flags = flags;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = plan.as_sibling ? 0 : SIGCHLD;  // with CLONE_PARENT, the caller's own
  args.cgroup = plan.cgroup_v2_fd >= 0 ? uint64_t(plan.cgroup_v2_fd) : 0;
  // Without a copy of the caller's memory where it can be (shared_clone.h);
  // a refused clone3 (or no donor free) clones as ever. Not with a seccomp
  // filter that notifies: libseccomp keeps its listener's fd in a global,
  // which inits sharing one memory would share. Nor with startContainer
  // hooks: the init runs them after `start`, allocating, where it must
  // not (child.cc: it may be killed there). Nor with more arguments or
  // environment variables than its stack holds pointers for.
  const auto& seccomp = plan.spec->linux_cfg.seccomp;
  bool notifies = seccomp && seccomp->notifies();
  bool hooks_after_start = !plan.spec->hooks[HookKind::start_container].empty();
  bool fits = exec_strings_fit(plan.spec->process, plan.init.extra_env.size());
  if (plan.shared && !plan.userns && !plan.as_sibling && !notifies && !hooks_after_start && fits &&
      shared_clone_enabled()) {
    if (int donor = lend_donor(); donor >= 0) {
      auto* c = new SharedChild{plan, sv[1], sv[0]};
      clone_args shared = args;
      pid_t pid = clone_shared(donor, shared, shared_child_main, c, release_shared_child);
      if (pid > 0) {
        ::close(sv[1]);
        return Spawned{pid, pidfd, sv[0], donor};
      }
      delete c;
      give_back_donor(donor, true);
      if (pid == -ENOSYS || pid == -EPERM || pid == -EINVAL) shared_clone_refused();
    }
  }
  pid_t pid = sys::clone3(&args);
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return neg_error(pid, "clone3");
  }
  if (pid == 0) {
    ::close(sv[0]);
    run_init(plan, sv[1]);
  }
  ::close(sv[1]);
  return Spawned{pid, pidfd, sv[0]};
}

}  // namespace ringc
