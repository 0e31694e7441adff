// create and run, on an engine of one slot (the table's one interpreter,
// as the daemon launches): create until the init waits for start on its
// exec fifo, run -d until the program runs, a foreground run until it
// has exited (and is deleted, unless --keep) with signals passed on and
// the pty copied on the same ring. A failed launch is answered once
// nothing of it is left.
#include <fcntl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <csignal>
#include <cstdlib>

#include "core/base/sys.h"
#include "core/init/console.h"
#include "core/spawn/launch.h"
#include "core/verbs/container.h"
#include "core/verbs/forwarder.h"
#include "core/verbs/on_engine.h"
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
// The create/run flags as the engine takes them, checked against
// process.terminal as runc checks them. The pty goes to the caller's
// --console-socket, or back here over a pair of our own (a foreground
// run copies it: `pty_end`). The caller's fds 3.. (LISTEN_FDS's, then
// --preserve-fds) go as copies; its stdio the init inherits.
Result<LaunchRequest> launch_request(const CreateOptions& o, Prepared p, bool foreground,
                                     sys::UniqueFd& pty_end) {
  RINGC_TRY(auto ends,
            console_ends(p.spec.process.terminal, o.console_socket, foreground,
                         "--console-socket: process.terminal is false, there is no pty to send",
                         "process.terminal is true: a detached container needs --console-socket "
                         "to hand its pty to"));
  pty_end = std::move(ends.ringc_end);
  LaunchRequest lr;
  lr.id = o.id;
  lr.cgroup_path = p.cgroup_path;
  lr.prepared = std::make_shared<const Prepared>(std::move(p));
  if (ends.init_end.get() >= 0)
    lr.flags.console = std::make_shared<const sys::UniqueFd>(std::move(ends.init_end));
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

// Launched until `until`; then the pid file (runc's --pid-file), whose
// failure deletes the container again.
Result<void> launch_detached(Runtime& rt, const CreateOptions& o, bool start, Until until) {
  RINGC_TRY(auto p, prepare(o.id, o.bundle));
  sys::UniqueFd no_pty;
  RINGC_TRY(auto lr, launch_request(o, std::move(p), false, no_pty));
  lr.start = start;
  lr.exec_fifo = !start;  // `ringc start`, another process, starts it
  RINGC_TRY(pid_t pid, launch_on_engine(rt, std::move(lr), until));
  if (auto w = write_pid_file(o.pid_file, pid); !w) {
    (void)remove(rt, o.id, true);
    return w.error();
  }
  return outcome::success();
}

// runc run in the foreground: started, then until the exit (its code
// returned) with each signal passed on and the pty copied, then deleted
// as runc deletes (with --keep left stopped). No record of the passing
// states is written that nobody could act on.
Result<int> run_foreground(Runtime& rt, const CreateOptions& o) {
  RINGC_TRY(auto p, prepare(o.id, o.bundle));
  BlockedSignals sigs;
  if (sigs.fd() < 0) return sys_error(errno, "signalfd");
  sys::UniqueFd pty_end;
  RINGC_TRY(auto lr, launch_request(o, std::move(p), true, pty_end));
  lr.start = true;
  lr.remove_on_exit = !o.keep;
  Engine engine(rt, one_shot(rt, true));
  Awaiting running{Until::running, kNoExitYet, {}};
  Awaiting ended{o.keep ? Until::exited : Until::removed, kNoExitYet, {}};
  std::optional<Answer> started, finished;
  engine.on_notice = [&](const Notice& n) {
    if (!started) started = answer(running, n);
    if (!finished) finished = answer(ended, n);
  };
  RINGC_TRY(engine.launch(std::move(lr)));
  RINGC_TRY(until_answered(engine, started, o.id, "run", false));
  if (!started->ok) return ringc_error(Errc::failed, started->error);
  rt.timeline.mark("start");
  sys::UniqueFd pty;
  if (pty_end.get() >= 0) {  // sent before the init reported ready: queued
    RINGC_TRY(pty, receive_fd(pty_end.get()));
  }
  RINGC_TRY(auto ring, engine.ring());
  Forwarder f(*ring, sigs.fd(), pty.get(), [&](int sig) {
    (void)engine.request(o.id, fsm::Event::kill, sig);  // gone meanwhile: nothing to do
  });
  RINGC_TRY(forward_on_engine(engine, f, [&] { return finished.has_value(); }));
  rt.timeline.mark("run-until-exit");
  note_phases(rt, engine);
  if (!finished->ok) return ringc_error(Errc::failed, finished->error);
  return finished->exit_code;
}
}  // namespace

Result<void> create(Runtime& rt, const CreateOptions& o) {
  return launch_detached(rt, o, false, Until::created);
}

Result<int> run(Runtime& rt, const CreateOptions& o, bool detach) {
  if (!detach) return run_foreground(rt, o);
  RINGC_TRY(launch_detached(rt, o, true, Until::running));
  return 0;
}

}  // namespace ringc
