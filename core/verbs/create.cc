// create and run. create and run -d run on an engine of one slot
// (launch_on_engine), the table's one interpreter. A foreground run still
// has its own steps here (claim, cgroup, spawn, handshake on the ring,
// record, then the exit with signals forwarded and the pty copied): it
// moves once the engine's ring carries the terminal and the signals
// (issue 20). A failure at any step undoes them all.
#include <fcntl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>

#include "cgroup/manager.h"
#include "core/base/sys.h"
#include "core/init/console.h"
#include "core/spawn/launch.h"
#include "core/spawn/spawn.h"
#include "core/store/observe.h"
#include "core/verbs/container.h"
#include "core/verbs/lifecycle_hooks.h"
#include "core/verbs/on_engine.h"
#include "core/verbs/teardown.h"
#include "core/verbs/waits.h"

namespace ringc {

Result<void> write_pid_file(const std::string& path, pid_t pid) {
  if (path.empty()) return outcome::success();
  std::string tmp = path + ".ringc-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error(errno, "pid file " + path);
  std::string text = std::to_string(pid);
  ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (n != ssize_t(text.size()) || ::rename(tmp.c_str(), path.c_str()) < 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return sys_error(e, "pid file " + path);
  }
  return outcome::success();
}

sigset_t forwarded_signals() {
  sigset_t set;
  sigfillset(&set);
  for (int s : {SIGKILL, SIGSTOP, SIGCHLD, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP})
    sigdelset(&set, s);
  return set;
}

unsigned listen_fds() {
  const char* n = std::getenv("LISTEN_FDS");
  const char* pid = std::getenv("LISTEN_PID");
  if (!n || !pid || std::atoi(pid) != ::getpid()) return 0;
  int v = std::atoi(n);
  return v > 0 ? unsigned(v) : 0;
}

namespace {
struct Launched {
  pid_t pid;
  int pidfd;
  sys::UniqueFd pty;  // the pty master, for a foreground terminal run
};

// The create/run flags, checked against process.terminal as runc checks
// them. `console` gets the fd the init sends the pty over; `pty_end` the
// end a foreground run receives it on.
Result<InitOptions> init_options(const CreateOptions& o, const Prepared& p, bool foreground,
                                 sys::UniqueFd& console, sys::UniqueFd& pty_end) {
  InitOptions init;
  init.id = o.id;
  init.no_pivot = o.no_pivot;
  init.no_new_keyring = o.no_new_keyring;
  unsigned listen = listen_fds();
  init.preserve_fds = listen + o.preserve_fds;
  if (listen) init.extra_env = {"LISTEN_FDS=" + std::to_string(listen), "LISTEN_PID=1"};
  RINGC_TRY(auto ends,
            console_ends(p.spec.process.terminal, o.console_socket, foreground,
                         "--console-socket: process.terminal is false, there is no pty to send",
                         "process.terminal is true: a detached container needs --console-socket "
                         "to hand its pty to"));
  console = std::move(ends.init_end);
  pty_end = std::move(ends.ringc_end);
  init.console_fd = console.get();
  return init;
}

// Undoes a create's steps in reverse unless disarmed.
class Undo {
 public:
  Undo(Runtime& rt, std::string_view id) : rt_(rt), id_(id) {}
  ~Undo() {
    if (!armed_) return;
    if (pidfd_ >= 0) (void)kill_and_wait(rt_, pidfd_, cgroup_, true);
    if (!cgroup_.empty()) (void)destroy_cgroup(rt_, cgroup_);
    if (claimed_) (void)rt_.store().remove(id_);
  }
  void claimed() { claimed_ = true; }
  void cgroup(std::string path) { cgroup_ = std::move(path); }
  void child(int pidfd) { pidfd_ = pidfd; }
  void disarm() { armed_ = false; }

 private:
  Runtime& rt_;
  std::string id_;
  std::string cgroup_;
  int pidfd_ = -1;
  bool claimed_ = false;
  bool armed_ = true;
};

// A foreground run up to "created": init set up and blocked on the exec
// fifo. The steps taken are registered with undo; the caller disarms it
// on success.
Result<Launched> launch(Runtime& rt, const CreateOptions& o, const Prepared& p, Undo& undo,
                        bool foreground) {
  sys::UniqueFd console, pty_end;
  RINGC_TRY(auto init, init_options(o, p, foreground, console, pty_end));
  rt.timeline.mark("spec");
  RINGC_TRY(auto host, rt.cgroups());
  rt.timeline.mark("cgroup-detect");
  RINGC_TRY(rt.store().claim(o.id, intent_fields(p, o.id, p.cgroup_path)));
  undo.claimed();
  rt.timeline.mark("claim");

  std::string fifo = rt.store().fifo(o.id);
  if (::mkfifo(fifo.c_str(), 0600) < 0) return sys_error(errno, "mkfifo " + fifo);
  Launch l;
  auto begun = begin_launch(*host, p, p.cgroup_path, fifo, init, l,
                            {.tl = &rt.timeline, .v1_by_parent = true, .warn = &rt.warn});
  console = sys::UniqueFd();  // the init has its copy
  if (l.cgroup_made) undo.cgroup(p.cgroup_path);
  if (l.child.pidfd >= 0) undo.child(l.child.pidfd);
  if (!begun) {
    if (l.child.sock >= 0) ::close(l.child.sock);
    return begun.error();
  }
  Spawned s = l.child;
  // The ring is first needed here: made while the init sets up.
  auto ring = rt.ring();
  if (!ring) {
    ::close(s.sock);
    return ring.error();
  }
  rt.timeline.mark("ring-setup");

  auto msg = await_handshake(*ring.value(), s.sock, rt.init_timeout);
  while (msg && msg.value().kind == MsgKind::hooks) {
    // The init waits before pivot_root for prestart and createRuntime.
    rt.timeline.mark("handshake-wait");
    if (auto h = hooks_at_create(*ring.value(), p.spec, o.id, s.pid, p.bundle); !h) {
      ::close(s.sock);
      return h.error();
    }
    rt.timeline.mark("hooks");
    if (!send_go(s.sock, Go::hooks_ran)) {
      ::close(s.sock);
      return sys_error(errno, "release init after hooks");
    }
    msg = await_handshake(*ring.value(), s.sock, rt.init_timeout);
  }
  ::close(s.sock);
  rt.timeline.mark("handshake-wait");
  if (!msg) return msg.error();
  for (int i = 0; i < kChildPhaseCount; ++i)
    rt.timeline.add(kChildPhases[i], msg.value().phase_us[i]);
  RINGC_TRY(transition(o.id, fsm::State::creating, fsm::Event::init_ready));
  RINGC_TRY(write_pid_file(o.pid_file, s.pid));
  rt.timeline.mark("record");
  Launched out{s.pid, s.pidfd, sys::UniqueFd()};
  if (pty_end.get() >= 0) {
    RINGC_TRY(out.pty, receive_fd(pty_end.get()));
  }
  return out;
}
}  // namespace

namespace {
// A detached container's create/run flags as the engine takes them,
// checked against process.terminal as runc checks them. The caller's fds
// 3.. (LISTEN_FDS's, then --preserve-fds) go as copies; its stdio the
// init inherits.
Result<LaunchRequest> launch_request(const CreateOptions& o, Prepared p) {
  if (p.spec.process.terminal && o.console_socket.empty())
    return ringc_error(Errc::bad_usage,
                       "process.terminal is true: a detached container needs --console-socket to "
                       "hand its pty to");
  if (!p.spec.process.terminal && !o.console_socket.empty())
    return ringc_error(Errc::bad_usage,
                       "--console-socket: process.terminal is false, there is no pty to send");
  LaunchRequest lr;
  lr.id = o.id;
  lr.cgroup_path = p.cgroup_path;
  lr.prepared = std::make_shared<const Prepared>(std::move(p));
  lr.flags.console_socket = o.console_socket;
  lr.flags.pidfd_socket = o.pidfd_socket;
  lr.flags.no_pivot = o.no_pivot;
  lr.flags.no_new_keyring = o.no_new_keyring;
  lr.flags.listen_fds = listen_fds();
  for (unsigned fd = 3; fd < 3 + lr.flags.listen_fds + o.preserve_fds; ++fd) {
    int copy = ::fcntl(int(fd), F_DUPFD_CLOEXEC, 3);
    if (copy < 0) return sys_error(errno, fmt::format("--preserve-fds: fd {}", fd));
    lr.flags.fds.push_back(std::make_shared<const sys::UniqueFd>(copy));
  }
  return lr;
}

// Launched on an engine of one slot until `until`; then the pid file
// (runc's --pid-file), whose failure deletes the container again.
Result<void> launch_detached(Runtime& rt, const CreateOptions& o, bool start, Until until) {
  RINGC_TRY(auto p, prepare(o.id, o.bundle));
  RINGC_TRY(auto lr, launch_request(o, std::move(p)));
  lr.start = start;
  lr.exec_fifo = !start;  // `ringc start`, another process, starts it
  RINGC_TRY(pid_t pid, launch_on_engine(rt, std::move(lr), until));
  if (auto w = write_pid_file(o.pid_file, pid); !w) {
    (void)remove(rt, o.id, true);
    return w.error();
  }
  return outcome::success();
}
}  // namespace

Result<void> create(Runtime& rt, const CreateOptions& o) {
  return launch_detached(rt, o, false, Until::created);
}

// create + start without the intermediate record: the one write others
// can observe is "running" (records are renames on the state filesystem,
// and /run is not always tmpfs).
Result<int> run(Runtime& rt, const CreateOptions& o, bool detach) {
  if (detach) {
    RINGC_TRY(launch_detached(rt, o, true, Until::running));
    return 0;
  }
  RINGC_TRY(auto p, prepare(o.id, o.bundle));
  sigset_t fwd = forwarded_signals(), old;
  ::sigprocmask(SIG_BLOCK, &fwd, &old);
  Undo undo(rt, o.id);
  RINGC_TRY(auto l, launch(rt, o, p, undo, true));
  if (auto r = send_pidfd(o.pidfd_socket, l.pidfd); !r) {
    ::close(l.pidfd);
    return r.error();
  }
  RINGC_TRY(auto t, transition(o.id, fsm::State::created, fsm::Event::start));
  // The record first: once released, the program may already be asked
  // about (`ps`, `state`) by whoever saw its output.
  RINGC_TRY(rt.store().write(o.id, record_fields(p, o.id, p.cgroup_path, l.pid,
                                                 process_start_time(l.pid).value_or(0), t.next)));
  RINGC_TRY(release_by_fifo(rt.store().fifo(o.id), o.id));
  undo.disarm();
  rt.timeline.mark("start");
  if (auto h = hooks_after_start(rt, p.spec, o.id, l.pid, p.bundle); !h) {
    ::close(l.pidfd);
    return h.error();
  }
  int sfd = ::signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) return sys_error(errno, "signalfd");
  RINGC_TRY(auto ring, rt.ring());
  auto code = await_exit_forwarding(*ring, l.pidfd, sfd, l.pty.get());
  ::close(sfd);
  ::close(l.pidfd);
  rt.timeline.mark("run-until-exit");
  if (!code) return code.error();
  if (o.keep) {  // the record's pid is gone: `state` says stopped, `delete` removes it
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return code.value();
  }
  // running → stopped → deleting, as `runc run` deletes after the exit. No
  // record of the passing states: nobody could act on them.
  RINGC_TRY(auto stopped, transition(o.id, t.next, fsm::Event::exited));
  RINGC_TRY(transition(o.id, stopped.next, fsm::Event::remove));
  RINGC_TRY(destroy_cgroup(rt, p.cgroup_path));
  RINGC_TRY(rt.store().remove(o.id));
  rt.timeline.mark("delete");
  hooks_after_delete(rt, p.spec, o.id, p.bundle);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return code.value();
}

}  // namespace ringc
