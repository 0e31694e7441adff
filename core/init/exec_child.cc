#include "core/init/exec_child.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

#include "cgroup/files.h"
#include "cgroup/manager.h"
#include "core/base/sys.h"
#include "core/init/console.h"
#include "core/init/handshake.h"
#include "core/init/process_setup.h"
#include "core/init/rootfs.h"
#include "core/spec/seccomp.h"

namespace ringc {

namespace {
int namespace_flags(const Spec& spec) {
  int flags = 0;
  for (auto& ns : spec.linux_cfg.namespaces) flags |= ns_clone_flag(ns.type);
  return flags;
}

void report(int sock, const Error& e) {
  (void)send_message(sock, error_message(e));
}

// In the container: the rest of the setup, then execve.
Error exec_in_container(const ExecPlan& plan, int sock) {
  const Process& proc = *plan.proc;
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  int console_fd = plan.console_fd;
  RINGC_TRY(place_fds(plan.passed, plan.passed_stdio ? 0 : 3, {&sock, &console_fd}));
  if (plan.spec->linux_cfg.find(NsType::user)) {
    if (int r = sys::setresgid_thread(0); r < 0 || (r = sys::setresuid_thread(0)) < 0)
      return sys_error(-r, "become root of the user namespace");
  }
  {  // cwd inside the root, no magic links (CVE-2024-21626)
    sys::UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    auto cwd = open_in_root(root.get(), proc.cwd, false);
    if (!cwd) return wrap(cwd.error(), "cwd");
    ::close(cwd.value());
  }
  RINGC_TRY(apply_rlimits(proc));
  if (console_fd >= 0) {
    RINGC_TRY(setup_console(console_fd, proc));
    ::close(console_fd);
  }
  RINGC_TRY(pass_fds(plan.preserve_fds, {sock}));
  // As in the init (child.cc): loaded before the identity drops
  // CAP_SYS_ADMIN, or last with no_new_privs; a listener goes to the agent.
  SeccompFilter filter;
  if (plan.spec->linux_cfg.seccomp) {
    RINGC_TRY(filter, SeccompFilter::build(*plan.spec->linux_cfg.seccomp));
    if (!proc.no_new_privileges) {
      RINGC_TRY(load_seccomp(filter, sock));
    }
  }
  RINGC_TRY(apply_scheduling(proc));
  RINGC_TRY(apply_lsm_labels(proc));
  RINGC_TRY(enter_cwd_and_identity(proc));
  RINGC_TRY(auto exe, find_executable(proc));
  auto argv = cstrings(proc.args);
  auto envp = cstrings(proc.env);
  if (filter && proc.no_new_privileges) {
    RINGC_TRY(load_seccomp(filter, sock));
  }
  ::execve(exe.c_str(), argv.data(), envp.data());
  return sys_error(errno, "exec " + exe);
}

// The setup process: outside the container's pid namespace, it enters
// everything else and clones the process into it.
[[noreturn]] void middle(const ExecPlan& plan, int sock) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  auto fail = [&](const Error& e) {
    report(sock, e);
    ::_exit(1);
  };
  // The freezer last: in a paused container (exec --ignore-paused) joining
  // it freezes us, and by then every other hierarchy (the one ps and kill
  // --all read) must hold us.
  const cgroup::Hierarchy* freezer = plan.host->v1("freezer");
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < plan.host->hierarchies.size(); ++i) {
      const cgroup::Hierarchy& h = plan.host->hierarchies[i];
      if (h.v2 || (&h == freezer) != (pass == 1)) continue;  // v2: joined by clone3
      std::string tasks = h.mount + plan.cgroup_paths[i] + "/tasks";
      if (int r = cgroup::write_text(tasks, std::to_string(::getpid())); r < 0)
        fail(neg_error(r, "join cgroup " + plan.cgroup_paths[i]));
    }
  }
  if (::setns(plan.init_pidfd, namespace_flags(*plan.spec)) < 0)
    fail(sys_error(errno, "join the container's namespaces"));
  // The process says nothing before its pid is said: an error of its own
  // read first would leave the engine without the pid of a child it must
  // reap (and the container's init, at its end, waiting on that zombie).
  int go[2];
  if (::pipe2(go, O_CLOEXEC) < 0) fail(sys_error(errno, "pipe"));
  clone_args args{};
  args.flags = CLONE_PARENT;
  pid_t pid = sys::clone3(&args);
  if (pid < 0) fail(neg_error(pid, "clone3 into the container"));
  if (pid == 0) {
    ::close(go[1]);
    char said = 0;
    ssize_t n;
    while ((n = ::read(go[0], &said, 1)) < 0 && errno == EINTR) {
    }
    if (n != 1) ::_exit(127);  // the setup process died before the pid went
    ::close(go[0]);
    report(sock, exec_in_container(plan, sock));
    ::_exit(127);
  }
  ::close(go[0]);
  HandshakeMsg m = message(MsgKind::pid);
  m.pid = pid;
  if (!send_message(sock, m)) ::_exit(1);  // the child sees EOF and exits
  (void)!::write(go[1], "g", 1);
  ::_exit(0);
}
}  // namespace

Result<Spawned> clone_exec(const ExecPlan& plan) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return sys_error(errno, "socketpair");
  sys::UniqueFd ours(sv[0]), theirs(sv[1]);
  // The v2 hierarchy, where there is one, comes first.
  const std::string v2_path = plan.cgroup_paths.empty() ? std::string() : plan.cgroup_paths[0];
  auto v2 = cgroup::open_v2_dir(*plan.host, v2_path);
  if (!v2) return Error{v2.error(), "open cgroup " + v2_path};
  sys::UniqueFd v2fd(v2.value());
  int pidfd = -1;
  clone_args args{};
  args.flags = CLONE_PIDFD | (v2fd.get() >= 0 ? CLONE_INTO_CGROUP : 0);
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  args.cgroup = v2fd.get() >= 0 ? uint64_t(v2fd.get()) : 0;
  pid_t pid = sys::clone3(&args);
  if (pid == 0) {
    ::close(sv[0]);
    middle(plan, sv[1]);
  }
  if (pid < 0) return neg_error(pid, "clone3 the exec setup process");
  return Spawned{pid, pidfd, ours.release()};
}

}  // namespace ringc
