// exec on the engine: the container's table allows it (exec,
// exec-ignore-paused), and the process then follows its own table
// (fsm/exec.h), every step a completion: the setup process's exit, its
// socket's messages and EOF, the process's exit.
//
// The setup process is cloned on the reactor's thread (the spawner clones
// only inits): clone3 copies the engine's page tables, a cost that grows
// with the containers it holds; execs are rarer than launches.
#include <sys/stat.h>

#include <fmt/format.h>

#include <cstring>

#include "cgroup/manager.h"
#include "core/base/exit.h"
#include "core/engine/engine.h"
#include "core/engine/transition.h"
#include "core/init/console.h"
#include "ring/ops.h"

namespace ringc {

namespace {
// The cgroup the process joins in each hierarchy: the container's, or a
// sub-cgroup of it that --cgroup names (which must exist, as under runc).
Result<std::vector<std::string>> exec_cgroups(const cgroup::Host& host, const std::string& base,
                                              const std::vector<std::string>& given) {
  std::vector<std::string> paths(host.hierarchies.size(), base);
  if (!given.empty() && host.hierarchies.empty())
    return ringc_error(Errc::bad_usage,
                       "exec: --cgroup: the container has no cgroup (a rootless container "
                       "outside a subtree delegated to its user)");
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

uint64_t Engine::exec_token(uint32_t run, Tag tag) const {
  return ring::Token{run, execs_[run].generation, tag}.pack();
}

Result<uint64_t> Engine::exec(std::string_view id, ExecRequest req) {
  RINGC_TRY(ready());
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return ringc_error(Errc::not_found, fmt::format("container \"{}\" does not exist", id));
  uint32_t i = it->second;
  Slot& s = slots_[i];
  fsm::Event e = req.ignore_paused ? fsm::Event::exec_frozen : fsm::Event::exec;
  RINGC_TRY(transition(id, s.state, e));
  RINGC_TRY(not_parked(i, "exec'd into"));
  // Our own child's pidfd is closed where the ring waits by pid.
  sys::UniqueFd init(s.pidfd.get() >= 0 ? ::dup(s.pidfd.get())
                                        : (s.exited ? -1 : sys::pidfd_open(s.pid)));
  if (init.get() < 0)
    return ringc_error(Errc::invalid_transition,
                       fmt::format("container \"{}\" is not running", id));
  if (!req.spec) {
    RINGC_TRY(auto spec, load_spec(s.prepared->bundle));
    req.spec = std::make_shared<const Spec>(std::move(spec));
  }
  if (req.process.terminal != bool(req.console))
    return ringc_error(Errc::bad_usage,
                       req.process.terminal
                           ? "exec: --tty needs a console socket to send the pty to"
                           : "exec: a console socket needs --tty");
  RINGC_TRY(auto paths, exec_cgroups(cgroups(s), s.cgroup, req.cgroups));
  ExecPlan plan;
  plan.spec = req.spec.get();
  plan.proc = &req.process;
  plan.host = &cgroups(s);
  plan.cgroup_paths = std::move(paths);
  plan.init_pidfd = init.get();
  plan.console_fd = req.console ? req.console->get() : -1;
  plan.preserve_fds = req.preserve_fds;
  for (auto& fd : req.fds) plan.passed.push_back(fd->get());
  plan.passed_stdio = req.stdio;
  if (!req.fds.empty()) plan.preserve_fds = unsigned(req.fds.size()) - (req.stdio ? 3 : 0);
  // Room for both waits below: nothing is told before this returns.
  if (!ring_->reserve(3)) return sys_error(EBUSY, "io_uring: no submission entry");
  RINGC_TRY(auto child, fx_.clone_exec(plan));

  uint32_t r = take(execs_, free_execs_);
  ExecRun& x = execs_[r];
  uint16_t g = x.generation;
  x.id = std::string(id);
  x.frozen = req.ignore_paused && s.state == fsm::State::paused;
  x.pidfd_socket = std::move(req.pidfd_socket);
  x.spec = req.spec;
  x.setup_pidfd.reset(child.pidfd);
  x.sock.reset(child.sock);
  ++x.pending;
  ring::prep_exit_wait(*ring_, exec_token(r, kExecSetupExit), x.setup_pidfd.get(), true,
                       &x.setup_info);
  (void)arm_exec_message(r);  // reserved above
  fire(i, e);                 // spawn_process: done above, with what the request carries
  return ring::Token{r, g, 0}.pack();
}

bool Engine::arm_exec_message(uint32_t r) {
  ExecRun& x = execs_[r];
  x.msg = {};
  // In a frozen cgroup the setup reports only after a resume, which may
  // never come: no deadline then, as under runc (a kill ends it).
  if (!ring_->reserve(2) ||
      !ring::prep_read(*ring_, exec_token(r, kExecMessage), x.sock.get(), &x.msg, sizeof x.msg))
    return false;
  if (!x.frozen) {
    x.ts = ring::to_timespec(rt_.init_timeout);
    ring::link_timeout(*ring_, &x.ts);
  }
  ++x.pending;
  return true;
}

void Engine::handle_exec(uint32_t r, Tag tag, int res) {
  ExecRun& x = execs_[r];
  --x.pending;
  if (tag == kExecSetupExit) {  // reaped (or, without IORING_OP_WAITID, now)
    if (!ring_->features().waitid) (void)sys::waitid_nohang(x.setup_pidfd.get(), &x.setup_info);
    x.setup_pidfd.reset();
  } else if (tag == kExecMessage) {
    using enum fsm::ExecState;
    if ((x.state == setting_up || x.state == starting) && res > 0 &&
        x.msg.kind == MsgKind::seccomp && check_message(x.msg, res, {MsgKind::seccomp})) {
      // Its listener, for the agent; before its pid it is kept until then.
      x.listener = x.msg.fd;
      auto given = x.state == starting ? give_exec_listener(r) : Result<void>(outcome::success());
      if (given && !arm_exec_message(r))
        given = ringc_error(Errc::init_failed, "io_uring: no submission entry");
      if (!given) {
        x.error = given.error().what();
        fire_exec(r, fsm::ExecEvent::setup_failed);
      }
    } else if (x.state == setting_up && res > 0) {
      if (auto ok = check_message(x.msg, res, {MsgKind::pid}); !ok) {
        x.error = ok.error().what();
        fire_exec(r, fsm::ExecEvent::setup_failed);
      } else {
        x.pid = x.msg.pid;
        fire_exec(r, fsm::ExecEvent::pid_reported);
      }
    } else if (x.state == starting && res == 0) {
      // Running; its caller's --pidfd-socket gets a pidfd first, or it
      // is ended, as under runc.
      auto sent = send_pidfd(x.pidfd_socket, x.pidfd.get());
      if (!sent) x.error = sent.error().what();
      fire_exec(r, sent ? fsm::ExecEvent::exec_seen : fsm::ExecEvent::setup_failed);
    } else if (x.state == setting_up || x.state == starting) {
      if (res > 0)
        x.error = check_message(x.msg, res, {}).error().what();
      else if (res == 0)
        x.error = "exec: the setup process died";
      else if (res == -ECANCELED)
        x.error =
            fmt::format("exec: the process did not start within {} ms", rt_.init_timeout.count());
      else
        x.error = fmt::format("exec: read from the setup process: {}", std::strerror(-res));
      fire_exec(r, fsm::ExecEvent::setup_failed);
    }
  } else if (tag == kExecExit) {
    if (!ring_->features().waitid) (void)sys::waitid_nohang(x.pidfd.get(), &x.info);
    x.exit_code = res < 0 ? -1 : exit_code(x.info);
    x.pidfd.reset();
    fire_exec(r, fsm::ExecEvent::exited);
  }
  if (x.used && x.pending == 0 &&
      (x.state == fsm::ExecState::exited || x.state == fsm::ExecState::failed))
    release_exec(r);
}

void Engine::fire_exec(uint32_t r, fsm::ExecEvent e) {
  ExecRun& x = execs_[r];
  auto action = advance(x.state, e);
  if (!action) return;
  auto tell = [&] {
    if (on_exec)
      on_exec(ExecNotice{ring::Token{r, x.generation, 0}.pack(), x.id, x.state, x.pid, x.exit_code,
                         x.error});
  };
  auto await_exit = [&] {
    ++x.pending;
    ring::prep_exit_wait(*ring_, exec_token(r, kExecExit), x.pidfd.get(), true, &x.info);
  };
  using A = fsm::ExecAction;
  switch (*action) {
    case A::none:
      return;
    case A::watch_exec:
      // Our child (CLONE_PARENT from the setup process), not reaped: its
      // pid is its own until the exit wait below reaps it.
      x.pidfd.reset(sys::pidfd_open(x.pid));
      if (x.pidfd.get() < 0) {
        x.error = fmt::format("exec: pidfd_open: {}", std::strerror(errno));
        return fire_exec(r, fsm::ExecEvent::setup_failed);
      }
      if (auto given = give_exec_listener(r); !given) {
        x.error = given.error().what();
        return fire_exec(r, fsm::ExecEvent::setup_failed);
      }
      if (!arm_exec_message(r)) {
        x.error = "io_uring: no submission entry";
        return fire_exec(r, fsm::ExecEvent::setup_failed);
      }
      return;
    case A::answer_started:
      x.sock.reset();
      await_exit();
      return tell();
    case A::answer_failed:
      x.sock.reset();
      // A process inside that exists is killed (a deadline passed) or is
      // exiting (it reported why): either way reaped before the run goes.
      if (x.pidfd.get() >= 0) {
        sys::pidfd_send_signal(x.pidfd.get(), SIGKILL);
        await_exit();
      } else if (x.pid > 0) {
        sys::UniqueFd fd(sys::pidfd_open(x.pid));
        if (fd.get() >= 0) {
          sys::pidfd_send_signal(fd.get(), SIGKILL);
          x.pidfd = std::move(fd);
          await_exit();
        }
      }
      return tell();
    case A::answer_exit:
      return tell();
  }
}

Result<void> Engine::give_exec_listener(uint32_t r) {
  ExecRun& x = execs_[r];
  if (x.listener < 0) return outcome::success();
  auto it = by_id_.find(x.id);
  if (it == by_id_.end())
    return ringc_error(Errc::not_found, fmt::format("container \"{}\" is gone", x.id));
  int fd = std::exchange(x.listener, -1);
  return give_listener(it->second, *x.spec, x.pidfd.get(), x.pid, fd, "running", x.sock.get());
}

void Engine::release_exec(uint32_t r) {
  uint16_t g = execs_[r].generation;
  execs_[r] = ExecRun{};  // closes its fds
  execs_[r].generation = g;
  free_execs_.push_back(r);
}

Result<void> Engine::signal_exec(std::string_view id, pid_t pid, int sig) {
  for (uint32_t r = 0; r < execs_.size(); ++r) {
    ExecRun& x = execs_[r];
    if (x.used && x.id == id && x.pid == pid && x.pidfd.get() >= 0 &&
        x.state != fsm::ExecState::failed) {
      if (sys::pidfd_send_signal(x.pidfd.get(), sig) < 0)
        return sys_error(errno, fmt::format("signal {} to exec'd process {}", sig, pid));
      return outcome::success();
    }
  }
  return ringc_error(
      Errc::not_found,
      fmt::format("container \"{}\" has no process {} exec'd by this engine", id, pid));
}

void Engine::forget(std::string_view id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  uint32_t i = it->second;
  // A record on its way through the ring reads the slot's buffers: the
  // slot stays (a one-shot engine writes in its own thread, never here).
  if (slots_[i].record_file != 0xffff) return;
  for (Tag t : {kExit, kHandshake, kExecDone, kHookExit, kFreezePoll, kEmptyPoll,
                timer_tag(slots_[i].timer)})
    (void)ring::cancel_now(*ring_, token(i, t));
  release(i);
}

}  // namespace ringc
