// exec: ringc clones a middle process that makes itself non-dumpable,
// joins the container's v1 cgroups and, with one setns on the init's
// pidfd, all its namespaces; it then clones the real process with
// CLONE_PARENT (so that ringc reaps it) into the container's pid
// namespace, reports its pid and exits. The process finishes its setup
// from inside and execs; its socket closes at exec (close-on-exec), which
// ringc reads as success. At no point is a dumpable ringc visible inside
// the container (CVE-2019-5736).
#include "core/verbs/exec.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include "cgroup/files.h"
#include "cgroup/manager.h"
#include "core/base/sys.h"
#include "core/init/console.h"
#include "core/init/process_setup.h"
#include "core/init/rootfs.h"
#include "core/spawn/spawn.h"
#include "core/spec/seccomp.h"
#include "core/store/observe.h"
#include "core/verbs/container.h"
#include "core/verbs/waits.h"

namespace ringc {

namespace {
int namespace_flags(const Spec& spec) {
  int flags = 0;
  for (auto& ns : spec.linux_cfg.namespaces) flags |= ns_clone_flag(ns.type);
  return flags;
}

// "uid[:gid]", numbers only (as runc takes them).
Result<void> parse_user(const std::string& s, User& u) {
  size_t colon = s.find(':');
  char* end = nullptr;
  unsigned long uid = std::strtoul(s.substr(0, colon).c_str(), &end, 10);
  if (s.empty() || *end)
    return ringc_error(Errc::bad_usage, "exec: --user: \"" + s + "\" is not uid[:gid]");
  u.uid = uid_t(uid);
  if (colon != std::string::npos) {
    unsigned long gid = std::strtoul(s.substr(colon + 1).c_str(), &end, 10);
    if (*end || colon + 1 == s.size())
      return ringc_error(Errc::bad_usage, "exec: --user: \"" + s + "\" is not uid[:gid]");
    u.gid = gid_t(gid);
  }
  return outcome::success();
}

// The process to run: --process, or the config's process with the
// command and the flags laid over it (runc's rules).
Result<Process> exec_process(const ExecOptions& o, const Spec& spec) {
  if (!o.process_file.empty()) return load_process(o.process_file);
  if (o.args.empty()) return ringc_error(Errc::bad_usage, "exec: a command is required");
  Process p = spec.process;
  p.args = o.args;
  p.terminal = o.tty;
  p.console_size.reset();
  for (auto& kv : o.env) {
    if (kv.find('=') == std::string::npos)
      return ringc_error(Errc::bad_usage, "exec: --env: \"" + kv + "\" is not KEY=value");
    std::string key = kv.substr(0, kv.find('=') + 1);
    std::erase_if(p.env, [&](const std::string& e) { return e.starts_with(key); });
    p.env.push_back(kv);
  }
  if (!o.cwd.empty()) p.cwd = o.cwd;
  if (!o.user.empty()) {
    RINGC_TRY(parse_user(o.user, p.user));
  }
  if (!o.additional_gids.empty()) p.user.additional_gids = o.additional_gids;
  if (!o.caps.empty()) {
    if (!p.capabilities) p.capabilities = Capabilities{};
    for (auto& name : o.caps) {
      int bit = capability_number(name);
      if (bit < 0)
        return ringc_error(Errc::bad_usage, "exec: --cap: unknown capability \"" + name + "\"");
      uint64_t m = uint64_t(1) << bit;
      auto& c = *p.capabilities;
      for (auto* set : {&c.bounding, &c.effective, &c.permitted, &c.ambient}) *set |= m;
    }
  }
  if (o.no_new_privs) p.no_new_privileges = true;
  if (!o.apparmor.empty()) p.apparmor_profile = o.apparmor;
  return p;
}

struct ExecPlan {
  const Spec* spec;
  const Process* proc;
  const cgroup::Host* host;
  std::vector<std::string> cgroup_paths;  // one per host hierarchy
  int init_pidfd;
  int console_fd;
  unsigned preserve_fds;
};

void report(int sock, const Error& e) {
  (void)send_message(sock, error_message(e));
}

// In the container: the rest of the setup, then execve.
Error exec_in_container(const ExecPlan& plan, int sock) {
  const Process& proc = *plan.proc;
  if (plan.spec->linux_cfg.find(NsType::user) &&
      (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0))
    return sys_error(errno, "become root of the user namespace");
  {  // cwd inside the root, no magic links (CVE-2024-21626)
    sys::UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    auto cwd = open_in_root(root.get(), proc.cwd, false);
    if (!cwd) return wrap(cwd.error(), "cwd");
    ::close(cwd.value());
  }
  RINGC_TRY(apply_rlimits(proc));
  if (plan.console_fd >= 0) {
    RINGC_TRY(setup_console(plan.console_fd, proc));
    ::close(plan.console_fd);
  }
  RINGC_TRY(pass_fds(plan.preserve_fds, {sock}));
  SeccompFilter filter;
  if (plan.spec->linux_cfg.seccomp) {
    RINGC_TRY(filter, SeccompFilter::build(*plan.spec->linux_cfg.seccomp));
    if (!proc.no_new_privileges) {
      RINGC_TRY(filter.load());
    }
  }
  RINGC_TRY(apply_scheduling(proc));
  RINGC_TRY(apply_lsm_labels(proc));
  RINGC_TRY(enter_cwd_and_identity(proc));
  RINGC_TRY(auto exe, find_executable(proc));
  auto argv = cstrings(proc.args);
  auto envp = cstrings(proc.env);
  if (filter && proc.no_new_privileges) {
    RINGC_TRY(filter.load());
  }
  ::execve(exe.c_str(), argv.data(), envp.data());
  return sys_error(errno, "exec " + exe);
}

// The middle process: outside the container's pid namespace, it enters
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
  clone_args args{};
  args.flags = CLONE_PARENT;
  pid_t pid = sys::clone3(&args);
  if (pid < 0) fail(neg_error(pid, "clone3 into the container"));
  if (pid == 0) {
    report(sock, exec_in_container(plan, sock));
    ::_exit(127);
  }
  HandshakeMsg m = message(MsgKind::pid);
  m.pid = pid;
  (void)send_message(sock, m);
  ::_exit(0);
}

}  // namespace

namespace {
// The cgroup the process joins in each hierarchy: the container's, or a
// sub-cgroup of it that --cgroup names (which must exist, as under runc).
Result<std::vector<std::string>> exec_cgroups(const cgroup::Host& host, const std::string& base,
                                              const std::vector<std::string>& given) {
  std::vector<std::string> paths(host.hierarchies.size(), base);
  for (auto& g : given) {
    size_t colon = g.find(':');
    std::string ctrl = colon == std::string::npos ? "" : g.substr(0, colon);
    std::string sub = colon == std::string::npos ? g : g.substr(colon + 1);
    if (sub.empty() || sub[0] == '/' || cgroup::climbs(sub))
      return ringc_error(Errc::bad_usage, fmt::format("exec: --cgroup: \"{}\" is not a path inside "
                                                      "the container's cgroup",
                                                      g));
    if (!ctrl.empty() && host.layout == cgroup::Layout::unified)
      return ringc_error(
          Errc::bad_usage,
          fmt::format("exec: --cgroup: \"{}\": controller:path is for cgroup v1", g));
    bool matched = false;
    for (size_t i = 0; i < host.hierarchies.size(); ++i) {
      const cgroup::Hierarchy& h = host.hierarchies[i];
      if (!ctrl.empty() &&
          (h.v2 || ("," + h.controllers + ",").find("," + ctrl + ",") == std::string::npos))
        continue;
      paths[i] = base + "/" + sub;
      matched = true;
      struct stat st;
      if (::stat((h.mount + paths[i]).c_str(), &st) < 0)
        return sys_error(errno, fmt::format("exec: --cgroup: {}{}", h.mount, paths[i]));
    }
    if (!matched)
      return ringc_error(
          Errc::bad_usage,
          fmt::format("exec: --cgroup: no hierarchy has the controller \"{}\"", ctrl));
  }
  return paths;
}
}  // namespace

Result<int> exec(Runtime& rt, const ExecOptions& o) {
  RINGC_TRY(auto rec, load_record(rt, o.id));
  fsm::State now = observed_state(rec.view());
  bool frozen = o.ignore_paused && now == fsm::State::paused;
  RINGC_TRY(transition(o.id, now, o.ignore_paused ? fsm::Event::exec_frozen : fsm::Event::exec));
  RINGC_TRY(auto spec, load_spec(std::string(rec->bundle())));
  RINGC_TRY(auto proc, exec_process(o, spec));
  RINGC_TRY(auto ends, console_ends(proc.terminal, o.console_socket, !o.detach,
                                    "exec: --console-socket needs --tty",
                                    "exec: --tty with --detach needs --console-socket"));
  sys::UniqueFd console = std::move(ends.init_end), pty_end = std::move(ends.ringc_end);
  sys::UniqueFd init(open_pidfd(rec.view()));
  if (init.get() < 0)
    return ringc_error(Errc::invalid_transition,
                       fmt::format("container \"{}\" is not running", o.id));
  RINGC_TRY(auto host, rt.cgroups());
  RINGC_TRY(auto ring, rt.ring());
  sigset_t fwd = forwarded_signals(), old;
  if (!o.detach) ::sigprocmask(SIG_BLOCK, &fwd, &old);

  RINGC_TRY(auto paths, exec_cgroups(*host, std::string(rec->cgroup()), o.cgroups));
  ExecPlan plan{&spec, &proc, host, std::move(paths), init.get(), console.get(), o.preserve_fds};
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return sys_error(errno, "socketpair");
  sys::UniqueFd sock(sv[0]);
  // The v2 hierarchy, where there is one, comes first.
  const std::string& v2_path = plan.cgroup_paths.empty() ? std::string() : plan.cgroup_paths[0];
  auto v2 = cgroup::open_v2_dir(*host, v2_path);
  if (!v2) return Error{v2.error(), "open cgroup " + v2_path};
  sys::UniqueFd v2fd(v2.value());
  int mid_pidfd = -1;
  clone_args args{};
  args.flags = CLONE_PIDFD | (v2fd.get() >= 0 ? CLONE_INTO_CGROUP : 0);
  args.pidfd = reinterpret_cast<uint64_t>(&mid_pidfd);
  args.exit_signal = SIGCHLD;
  args.cgroup = v2fd.get() >= 0 ? uint64_t(v2fd.get()) : 0;
  pid_t mid = sys::clone3(&args);
  if (mid == 0) {
    ::close(sv[0]);
    middle(plan, sv[1]);
  }
  ::close(sv[1]);
  if (mid < 0) return neg_error(mid, "clone3");
  sys::UniqueFd mid_fd(mid_pidfd);
  console = sys::UniqueFd();
  v2fd = sys::UniqueFd();

  // In a frozen cgroup the setup reports only after a resume, which may
  // never come: no deadline then, as under runc (a kill ends it).
  std::chrono::milliseconds setup_deadline =
      frozen ? std::chrono::hours(24 * 365 * 10) : rt.init_timeout;
  auto first = await_message(*ring, sock.get(), setup_deadline, {MsgKind::pid});
  (void)await_exit(*ring, mid_fd.get(), true, frozen ? setup_deadline : rt.kill_timeout);
  if (!first) return first.error();
  if (!first.value()) return ringc_error(Errc::init_failed, "exec: the setup process died");
  pid_t pid = first.value()->pid;
  sys::UniqueFd proc_fd(
      sys::pidfd_open(pid));  // our child (CLONE_PARENT): not reaped by anyone else
  if (proc_fd.get() < 0) return sys_error(errno, "pidfd_open");
  // EOF: the process exec'd (its socket was close-on-exec) or died.
  auto second = await_message(*ring, sock.get(), setup_deadline, {});
  if (!second) {  // any message now: its setup failed, and it said why
    if (!second.error().is(Errc::timed_out))
      (void)await_exit(*ring, proc_fd.get(), true, rt.kill_timeout);
    return second.error();
  }
  RINGC_TRY(write_pid_file(o.pid_file, pid));
  RINGC_TRY(send_pidfd(o.pidfd_socket, proc_fd.get()));
  if (o.detach) return 0;
  sys::UniqueFd pty;
  if (pty_end.get() >= 0) {
    RINGC_TRY(pty, receive_fd(pty_end.get()));
  }
  sys::UniqueFd sfd(::signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK));
  if (sfd.get() < 0) return sys_error(errno, "signalfd");
  auto code = await_exit_forwarding(*ring, proc_fd.get(), sfd.get(), pty.get());
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return code;
}

}  // namespace ringc
