#include "core/spawn/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "core/base/sys.h"

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
  if (plan.userns) flags |= CLONE_NEWUSER;
  if (plan.as_sibling) flags |= CLONE_PARENT;

  int pidfd = -1;
  clone_args args{};
  args.flags = flags;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = plan.as_sibling ? 0 : SIGCHLD;  // with CLONE_PARENT, the caller's own
  args.cgroup = plan.cgroup_v2_fd >= 0 ? uint64_t(plan.cgroup_v2_fd) : 0;
  pid_t pid = sys::clone3(&args);
  if (pid < 0) {
    ::close(sv[0]);
    ::close(sv[1]);
    return neg_error(pid, "clone3");
  }
  if (pid == 0) {
    ::close(sv[0]);
    int sock = sv[1];  // child_main may move it
    Error e = child_main(plan, sock);
    (void)send_message(sock, error_message(e));
    ::_exit(1);
  }
  ::close(sv[1]);
  return Spawned{pid, pidfd, sv[0]};
}

}  // namespace ringc
