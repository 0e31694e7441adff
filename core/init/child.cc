// The container's init between clone3 and execve. Runs in the child only:
// the parent's reactor pays for none of this.
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "cgroup/manager.h"
#include "core/base/sys.h"
#include "core/base/timeline.h"
#include "core/hooks/hooks.h"
#include "core/init/cgroups.h"
#include "core/init/console.h"
#include "core/init/handshake.h"
#include "core/init/plan.h"
#include "core/init/process_setup.h"
#include "core/init/rootfs.h"
#include "core/spec/seccomp.h"

namespace ringc {

namespace {

// "ringc: what[ arg][: error]" on stderr, then _exit(code); with one
// writev and no allocation (what the init does after `ready`).
[[noreturn]] void say_and_exit(const char* what, int e, int code, const char* arg = nullptr) {
  const char* desc = e ? ::strerrordesc_np(e) : nullptr;
  auto piece = [](const char* p) { return iovec{const_cast<char*>(p), p ? std::strlen(p) : 0}; };
  iovec v[] = {
      piece("ringc: "), piece(what), piece(arg ? " " : ""), piece(arg), piece(desc ? ": " : ""),
      piece(desc),      piece("\n")};
  (void)::writev(2, v, int(std::size(v)));
  ::_exit(code);
}
// Namespaces by path are joined; new ones are unshared here, on the
// child's core (DESIGN: the reactor must not pay for CLONE_NEWNET). The
// cgroup namespace waits for join_cgroups. A warm network namespace
// (netns_fd) is joined instead of a new one, and closed.
Result<void> enter_namespaces(const Spec& spec, int& netns_fd) {
  int unshare_flags = 0;
  // pid and user: clone3 made them; cgroup: after the cgroups are joined.
  // The mount namespace comes after those whose paths it might hide.
  for (NsType type : {NsType::network, NsType::ipc, NsType::uts, NsType::mount, NsType::time}) {
    const Namespace* ns = spec.linux_cfg.find(type);
    if (!ns) continue;
    int flag = ns_clone_flag(type);
    if (type == NsType::network && ns->path.empty() && netns_fd >= 0) {
      if (::setns(netns_fd, CLONE_NEWNET) < 0)
        return sys_error(errno, "join the warm network namespace");
      ::close(netns_fd);
      netns_fd = -1;
      continue;
    }
    if (ns->path.empty()) {
      unshare_flags |= flag;
      continue;
    }
    int fd = ::open(ns->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return sys_error(errno, fmt::format("open {} namespace {}", ns_name(type), ns->path));
    int r = ::setns(fd, flag);
    int e = errno;
    ::close(fd);
    if (r < 0) return sys_error(e, fmt::format("join {} namespace {}", ns_name(type), ns->path));
  }
  if (unshare_flags && ::unshare(unshare_flags) < 0) return sys_error(errno, "unshare namespaces");
  return outcome::success();
}

// Writes the v2 limits (plan.v2_limits: the init is in its v2 cgroup from
// clone3 on, and nothing of the container has run yet), makes the v1
// directories with their limits and joins them, then enters the cgroup
// namespace, so that it is rooted at the container's cgroup. In a user
// namespace the parent has made them and moved us in.
Result<void> join_cgroups(const SpawnPlan& plan, int device_prog) {
  const cgroup::Host& host = *plan.cgroups;
  if (plan.v2_limits) {
    RINGC_TRY(apply_limits(host, *plan.spec, plan.cgroup_path, cgroup::Part::v2, device_prog));
  }
  if (!plan.userns) {  // in a user namespace the parent made them and moved us in
    RINGC_TRY(make_v1_cgroups(host, *plan.spec, plan.cgroup_path));
    if (int r = cgroup::join_self_v1(host, plan.cgroup_path); r < 0)
      return neg_error(r, "join cgroup " + plan.cgroup_path);
  }
  const Namespace* ns = plan.spec->linux_cfg.find(NsType::cgroup);
  if (!ns) return outcome::success();
  if (ns->path.empty()) {
    if (::unshare(CLONE_NEWCGROUP) < 0) return sys_error(errno, "unshare cgroup namespace");
    return outcome::success();
  }
  int fd = ::open(ns->path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::setns(fd, CLONE_NEWCGROUP) < 0)
    return sys_error(errno, "join cgroup namespace " + ns->path);
  ::close(fd);
  return outcome::success();
}

Result<void> set_names(const Spec& spec) {
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
    return sys_error(errno, "sethostname");
  if (!spec.domainname.empty() &&
      ::setdomainname(spec.domainname.data(), spec.domainname.size()) < 0)
    return sys_error(errno, "setdomainname");
  return outcome::success();
}

// A session keyring of the container's own, as runc makes ("_ses.<id>"),
// so keys stay out of the host's session. A kernel without keyrings is fine.
Result<void> join_session_keyring(const std::string& id) {
  std::string name = "_ses." + id;
  long key =
      sys::keyctl(KEYCTL_JOIN_SESSION_KEYRING, reinterpret_cast<unsigned long>(name.c_str()));
  if (key == -ENOSYS) return outcome::success();
  if (key < 0) return sys_error(int(-key), "join session keyring " + name);
  // Possessor: everything; user: view (runc's mask).
  if (long r = sys::keyctl(KEYCTL_SETPERM, static_cast<unsigned long>(key), 0x3f010000); r < 0)
    return sys_error(int(-r), "set session keyring permissions");
  return outcome::success();
}

std::string hook_state_of(const SpawnPlan& plan, std::string_view status, pid_t pid) {
  const Spec& s = *plan.spec;
  return hook_state(s.oci_version, plan.init.id, status, pid, plan.bundle, s.annotations);
}

// Before pivot_root: prestart and createRuntime run in the runtime (tell
// it, wait for its byte back), then createContainer here, in the
// container's namespaces.
Result<void> hooks_before_pivot(const SpawnPlan& plan, int sock, pid_t host_pid) {
  const Hooks& h = plan.spec->hooks;
  if (!h[HookKind::prestart].empty() || !h[HookKind::create_runtime].empty()) {
    if (!send_message(sock, message(MsgKind::hooks))) return sys_error(errno, "send hooks");
    RINGC_TRY(await_go(sock, Go::hooks_ran));  // EOF: the runtime gave up, a hook failed
  }
  // In the rootfs, as runc runs them (the spec leaves the cwd open).
  return run_hooks_in_init(h, HookKind::create_container, hook_state_of(plan, "creating", host_pid),
                           plan.rootfs.c_str());
}

// Our pid as the host sees it, for the hooks' state: /proc is still the
// host's until the container's is mounted.
pid_t host_pid() {
  char buf[32] = {};
  if (::readlink("/proc/self", buf, sizeof buf - 1) < 0) return 0;
  return pid_t(std::atoi(buf));
}
}  // namespace

Error child_main(const SpawnPlan& plan, int& sock) {
  const Spec& spec = *plan.spec;
  const Process& proc = spec.process;
  HandshakeMsg ready = message(MsgKind::ready);
  uint64_t t = monotonic_us();
  auto phase = [&](int i) {
    uint64_t now = monotonic_us();
    ready.phase_us[i] = uint32_t(now - t);
    t = now;
  };
  // Die with the creating ringc until we report ready.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (plan.init.parked) {
    sched_param idle{};
    (void)::sched_setscheduler(0, SCHED_IDLE, &idle);
  }
  // Until execve (which resets it) nobody else may open our /proc/<pid>/
  // exe, cwd or fds: they lead to ringc's binary and the host
  // (CVE-2019-5736, CVE-2024-21626). The host's cgroup directory fd was
  // for clone3 only: it must not be open while anything is resolved.
  // In a new user namespace that waits for its maps, only once they are
  // written: an unprivileged parent (a rootless ringc) may only write
  // them to a dumpable child. Nothing of the container runs before.
  if (plan.cgroup_v2_fd >= 0) ::close(plan.cgroup_v2_fd);
  if (!plan.userns) ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (plan.userns) {
    // Wait for the parent to map us, then be root of our namespace.
    RINGC_TRY(await_go(sock, Go::mapped));
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (int r = sys::setresgid_thread(0); r < 0 || (r = sys::setresuid_thread(0)) < 0)
      return sys_error(-r, "become root of the user namespace (is id 0 mapped?)");
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Modes of what setup makes are exact; the program gets the spec's umask.
  ::umask(0);

  // A daemon client's stdio and fds are in place before anything can fail
  // (an exit status aside, the client reads what the init writes).
  int console_fd = plan.init.console_fd;
  int device_prog = plan.device_prog;             // attached in join_cgroups, closed before start
  int netns_fd = plan.init.netns_fd;              // joined, then closed, in enter_namespaces
  std::vector<int> bind_trees = plan.bind_trees;  // closed at exec
  std::vector<int*> ours{&sock, &console_fd, &device_prog, &netns_fd};
  std::vector<int> keep{sock, console_fd, plan.fifo_fd, device_prog, netns_fd};
  for (int& t : bind_trees) ours.push_back(&t);
  RINGC_TRY(place_fds(plan.init.passed, plan.init.passed_stdio ? 0 : 3, ours));
  std::vector<int*>().swap(ours);
  keep.insert(keep.end(), bind_trees.begin(), bind_trees.end());
  // Nothing else of the creator's stays open: a daemon holds fds for many
  // clients, more than the spec's RLIMIT_NOFILE may leave room for.
  close_fds_from(3 + int(plan.init.preserve_fds), std::move(keep));

  const pid_t pid_on_host = spec.hooks.any() ? host_pid() : 0;
  if (auto r = enter_namespaces(spec, netns_fd); !r) return r.error();
  RINGC_TRY(write_time_offsets(spec.linux_cfg));
  if (!plan.init.no_new_keyring) {
    RINGC_TRY(join_session_keyring(plan.init.id));
  }
  phase(1);

  // `start` arrives on the exec fifo (CLI) or on the socket (engine).
  int go_fd = plan.fifo_fd >= 0 ? plan.fifo_fd : sock;

  if (auto r = apply_oom_score_adj(proc); !r) return r.error();
  if (auto r = apply_rlimits(proc); !r) return r.error();
  if (!spec.linux_cfg.find(NsType::mount))
    return ringc_error(Errc::bad_spec,
                       "config.json: /linux/namespaces: a mount namespace is required");
  // The cgroup join (and its wait for the parent) is timed on its own.
  bool joined = false;
  uint32_t cgroup_us = 0;
  auto join = [&]() -> Result<void> {
    if (joined) return outcome::success();
    joined = true;
    uint64_t t0 = monotonic_us();
    auto r = join_cgroups(plan, device_prog);
    cgroup_us = uint32_t(monotonic_us() - t0);
    return r;
  };
  auto carry = setup_rootfs(plan, bind_trees, join);
  if (!carry) return carry.error();
  if (auto r = join(); !r) return r.error();
  {
    int rootfd = ::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    auto cwd = open_in_root(rootfd, proc.cwd, false);
    ::close(rootfd);
    if (!cwd) return wrap(cwd.error(), "cwd");
    ::close(cwd.value());
  }
  phase(2);
  ready.phase_us[0] = cgroup_us;
  ready.phase_us[2] -= cgroup_us;
  if (spec.hooks.any()) {
    RINGC_TRY(hooks_before_pivot(plan, sock, pid_on_host));
  }
  if (auto r = plan.init.no_pivot ? move_root_into(plan.rootfs) : pivot_into(plan.rootfs); !r)
    return r.error();
  if (auto r = finish_rootfs(spec, carry.value()); !r) return r.error();
  // Nothing of the setup is held on the heap at exec: an init that shares
  // its engine's memory (core/spawn/shared_clone.h) would leave it there.
  carry = RootfsCarry{};
  std::vector<int>().swap(bind_trees);
  if (auto r = set_names(spec); !r) return r.error();
  phase(3);
  if (console_fd >= 0) {
    RINGC_TRY(setup_console(console_fd, proc));
    ::close(console_fd);
  }
  RINGC_TRY(pass_fds(plan.init.preserve_fds, {sock, go_fd}));
  close_fds_from(3 + int(plan.init.preserve_fds), {sock, go_fd});
  // The filter is built now so that a profile libseccomp refuses fails
  // create. Without no_new_privs, loading it needs CAP_SYS_ADMIN, which
  // the user's identity may drop: load it first. With no_new_privs, load
  // it after `start`, right before execve, so setup runs unfiltered; one
  // that notifies is loaded before ready instead (its listener goes to
  // the agent while the runtime is still there to take it), as runc does.
  SeccompFilter filter;
  if (spec.linux_cfg.seccomp) {
    RINGC_TRY(filter, SeccompFilter::build(*spec.linux_cfg.seccomp));
    if (!proc.no_new_privileges) {
      RINGC_TRY(load_seccomp(filter, sock));
    }
  }
  RINGC_TRY(apply_scheduling(proc));
  RINGC_TRY(apply_personality(spec.linux_cfg));
  RINGC_TRY(apply_lsm_labels(proc));
  if (auto r = enter_cwd_and_identity(proc); !r) return r.error();
  char exe[PATH_MAX];
  {
    auto found = find_executable(proc);
    if (!found) return found.error();
    if (found.value().size() >= sizeof exe)
      return sys_error(ENAMETOOLONG, "process.args[0]: " + found.value());
    std::memcpy(exe, found.value().c_str(), found.value().size() + 1);
  }

  if (filter && proc.no_new_privileges && filter.notifies()) {
    RINGC_TRY(load_seccomp(filter, sock));
  }
  // With no_new_privs the filter is loaded after `start`: compiled now,
  // onto this stack, and loaded then by one system call.
  SeccompProgram program;
  if (filter && proc.no_new_privileges && !filter.notifies()) {
    RINGC_TRY(filter.compile(program));
  }
  // Loaded already or compiled (one that notifies keeps its context: it
  // holds the listener the engine takes from us).
  if (filter && !filter.notifies()) filter = SeccompFilter{};
  // On the stack where they fit (the heap's would outlive the exec of an
  // init sharing its engine's memory).
  ExecStrings<kExecStringsOnStack> argv(proc.args), envp(proc.env, plan.init.extra_env);
  phase(4);
  ::prctl(PR_SET_PDEATHSIG, 0);
  if (!send_message(sock, ready)) return sys_error(errno, "send ready");
  if (go_fd != sock) ::close(sock);

  // Created: wait for `start`. The fifo is held O_RDWR, so the read blocks
  // until start writes Go::start; exec then closes it (O_CLOEXEC), and on
  // the socket the engine reads that close as exec_done. EOF (the engine
  // went away) ends the init.
  // From `ready` to the exec nothing allocates (startContainer hooks
  // aside: spawn.cc clones an init with them by fork): an init cloned in
  // its engine's memory may be killed anywhere in between and hold no
  // lock of malloc's (core/spawn/shared_clone.h).
  if (const char* why = await_start(go_fd)) say_and_exit(why, errno, 127);
  // With no_new_privs the filter comes before the startContainer hooks,
  // which then run under it, as runc's do.
  if (program) {
    if (int r = program.load(); r < 0) say_and_exit("seccomp: load the filter", -r, 127);
  }
  if (!spec.hooks[HookKind::start_container].empty()) {
    auto r = run_hooks_in_init(spec.hooks, HookKind::start_container,
                               hook_state_of(plan, "created", pid_on_host));
    if (!r) {
      std::string msg = fmt::format("ringc: {}\n", r.error().what());
      (void)::write(2, msg.data(), msg.size());
      ::_exit(127);
    }
  }
  ::execve(exe, argv.data(), envp.data());
  int e = errno;
  say_and_exit("exec", e, e == ENOENT ? 127 : 126, exe);
}

}  // namespace ringc
