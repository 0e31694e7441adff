// A recording fake of the engine's effects (core/engine/effects.h). Its
// "inits" are plain child processes (sleep) with a handshake pair whose
// other end the test holds, to play the init's part: ready, an error, the
// start byte read, an exit.
#pragma once

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/base/sys.h"
#include "core/engine/effects.h"

namespace ringc::test {

class FakeEffects final : public Effects {
 public:
  ~FakeEffects() override {
    for (auto& [cg, fd] : init_end) ::close(fd);
    for (pid_t p : children) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, __WALL);
    }
  }

  // What was done, in order: "launch /cg", "signal 15", "signal-cgroup 9",
  // "freeze 1", "record running", "apply".
  std::vector<std::string> calls;
  std::map<std::string, int> init_end;  // cgroup → the test's end of the handshake
  std::map<std::string, pid_t> init_pid;
  std::vector<pid_t> children;
  bool refuse_launch = false, refuse_freeze = false;
  bool kernel_frozen = false;  // what is_frozen answers
  bool kernel_slow = false;    // a request leaves kernel_frozen as it was (the test settles it)

  Result<void> launch(const cgroup::Host&, const Prepared&, const std::string& cg,
                      const std::string&, const InitOptions&, Launch& out,
                      const LaunchOptions& lo) override {
    calls.push_back("launch " + cg);
    if (refuse_launch) return ringc_error(Errc::init_failed, "clone3: the fake says no");
    out.cgroup_made = true;
    if (lo.defer_spawn) {  // the engine's spawner process clones it
      out.deferred = true;
      return outcome::success();
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
      return sys_error(errno, "socketpair");
    int pidfd = -1;
    pid_t pid = sys::fork_pidfd(&pidfd);
    if (pid == 0) {
      ::execl("/bin/sleep", "sleep", "1000", nullptr);
      ::_exit(127);
    }
    if (pid < 0) return sys_error(-pid, "fork");
    children.push_back(pid);
    init_end[cg] = sv[1];
    init_pid[cg] = pid;
    out.child = Spawned{pid, pidfd, sv[0]};
    return outcome::success();
  }
  // An exec: the setup process exits at once; the "process" (a sleep) is
  // forked here, so it is the engine's process's child as CLONE_PARENT
  // makes it; the test holds the socket's other end (exec_end) to report
  // its pid (exec_pid), an error, or the exec (by closing it).
  Result<Spawned> clone_exec(const ExecPlan& plan) override {
    calls.push_back("clone-exec " + (plan.proc->args.empty() ? "" : plan.proc->args[0]));
    if (refuse_exec) return ringc_error(Errc::init_failed, "clone3: the fake says no");
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
      return sys_error(errno, "socketpair");
    int setup_fd = -1, ignored = -1;
    pid_t setup = sys::fork_pidfd(&setup_fd);
    if (setup == 0) ::_exit(0);
    pid_t proc = sys::fork_pidfd(&ignored);
    if (proc == 0) {
      ::execl("/bin/sleep", "sleep", "1000", nullptr);
      ::_exit(127);
    }
    ::close(ignored);
    children.push_back(proc);
    exec_pid = proc;
    exec_end = sv[1];
    return Spawned{setup, setup_fd, sv[0]};
  }
  pid_t exec_pid = -1;
  int exec_end = -1;
  bool refuse_exec = false;
  bool mkdir_on_ring() const override { return false; }
  void signal(pid_t pid, int, int sig) override {
    calls.push_back(fmt::format("signal {}", sig));
    ::kill(pid, sig);
  }
  void end_idle(pid_t) override { calls.push_back("end-idle"); }
  bool may_end_idle() const override { return true; }
  void signal_cgroup(const cgroup::Host&, const std::string&, int sig) override {
    calls.push_back(fmt::format("signal-cgroup {}", sig));
  }
  cgroup::Result<void> request_freeze(const cgroup::Host&, const std::string&,
                                      bool frozen) override {
    calls.push_back(fmt::format("freeze {}", frozen ? 1 : 0));
    if (refuse_freeze) return std::make_error_code(std::errc::device_or_resource_busy);
    if (!kernel_slow) kernel_frozen = frozen;
    return outcome::success();
  }
  cgroup::Result<bool> is_frozen(const cgroup::Host&, const std::string&) override {
    return kernel_frozen;
  }
  Result<void> apply(const cgroup::Host&, const std::string&, const cgroup::Resources&) override {
    calls.push_back("apply");
    return outcome::success();
  }
  Result<void> write_record(const Store& store, std::string_view id, const RecordFields& f,
                            bool sync) override {
    calls.push_back(fmt::format("record {}", fsm::name(f.status)));
    return store.write(id, f, sync);
  }
  bool records_on_ring() const override { return false; }
  Result<void> sync_claim(const Store& store, std::string_view id) override {
    calls.push_back("sync-claim");
    return store.sync_claim(id);
  }
};

}  // namespace ringc::test
