// What each transition's action does in the engine: spawn, release,
// signal, timers and teardown (the freezer's steps: engine_freezer.cc;
// records: engine_records.cc). Each submits its SQEs and returns; the
// completions come back through Engine::handle.
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include <fmt/format.h>

#include "cgroup/freezer.h"
#include "cgroup/manager.h"
#include "core/base/sys.h"
#include "core/engine/engine.h"
#include "core/init/console.h"
#include "core/spawn/shared_clone.h"
#include "core/store/observe.h"
#include "ring/ops.h"

namespace ringc {

namespace {
using Clock = std::chrono::steady_clock;
// How long a busy cgroup's removal waits for it to empty before trying
// again (killing what is left) anyway.
constexpr std::chrono::milliseconds kEmptyDeadline{1'000};

// Backoff of cgroup rmdir retries (a killed container's tasks take a
// moment to leave): 1, 2, 4 ... 100 ms, kRmdirTries tries.
constexpr int kRmdirTries = 30;
std::chrono::milliseconds rmdir_backoff(int attempt) {
  return std::chrono::milliseconds(std::min(1 << std::min(attempt, 7), 100));
}

std::string parent_of(std::string_view cg) {
  size_t slash = cg.rfind('/');
  return std::string(cg.substr(0, slash == std::string_view::npos ? 0 : slash));
}
}  // namespace

bool Engine::queue_cgroup(uint32_t i) {
  Slot& s = slots_[i];
  const cgroup::Hierarchy* v2 = cgroups(s).v2();
  if (!v2 || !fx_.mkdir_on_ring() || !v2_parents_.contains(parent_of(s.cgroup))) return false;
  auto t0 = Clock::now();
  s.paths.clear();
  s.paths.push_back(v2->mount + s.cgroup);  // lives until the SQE is submitted
  if (!ring::prep_mkdir(*ring_, token(i, kCgroupMade), s.paths.back().c_str(), 0755)) return false;
  ++s.pending;
  step_launch(i, fsm::LaunchEvent::cgroup_queued);
  charge(Phase::cgroup, t0);
  return true;
}

void Engine::on_cgroup_made(uint32_t i, int res) {
  Slot& s = slots_[i];
  s.paths.clear();
  if (s.state != fsm::State::creating) {  // deleted meanwhile: nothing to spawn
    s.exited = true;
    return;
  }
  if (res == -ENOENT) v2_parents_.erase(parent_of(s.cgroup));  // removed under us: remake
  if (res < 0 && res != -EEXIST && res != -ENOENT) {
    s.exited = true;  // no init
    s.error = fmt::format("create cgroup {}: {}", s.cgroup, std::strerror(-res));
    fire(i, fsm::Event::init_failed);
    return;
  }
  if (auto r = spawn_init(i, res == 0 || res == -EEXIST, res == -EEXIST); !r) {
    s.error = r.error().what();
    fire(i, fsm::Event::init_failed);
  }
}

void Engine::charge_phases(const Timeline& tl) {
  tl.each([&](const char* phase, uint32_t us) {
    std::string_view p = phase;
    Phase into = p == "cgroup-create" ? Phase::cgroup : Phase::clone3;
    stats_.phase_ns[int(into)] += uint64_t(us) * 1000;
  });
}

Result<void> Engine::spawn_init(uint32_t i, bool v2_made, bool v2_existed) {
  Slot& s = slots_[i];
  Launch l;
  Timeline tl;
  InitOptions init;
  init.id = s.id;
  // The console socket is connected here and the init sends the pty
  // master over it; the spawner, when there is one, gets that fd and the
  // client's with the request.
  sys::UniqueFd console;
  if (s.flags) {
    init.no_pivot = s.flags->no_pivot;
    init.no_new_keyring = s.flags->no_new_keyring;
    if (!s.flags->console_socket.empty()) {
      RINGC_TRY(console, connect_console_socket(s.flags->console_socket));
      init.console_fd = console.get();
    } else if (s.flags->console) {
      init.console_fd = s.flags->console->get();
    }
    for (auto& fd : s.flags->fds) init.passed.push_back(fd->get());
    init.passed_stdio = s.flags->stdio && !init.passed.empty();
    init.preserve_fds = unsigned(init.passed.size()) - (init.passed_stdio ? 3 : 0);
    if (unsigned n = s.flags->listen_fds)
      init.extra_env = {"LISTEN_FDS=" + std::to_string(n), "LISTEN_PID=1"};
  }
  // The init has its copies (or the request in flight has); without a
  // restart to come the client's fds are not held (its pipes see EOF when
  // the container's program ends).
  auto drop_fds = [&s] {
    if (s.flags && s.restart.kind == RestartKind::no) {
      s.flags->fds.clear();
      s.flags->console.reset();
    }
  };
  // Parked as SCHED_IDLE only where this engine may end it (CAP_SYS_NICE).
  init.parked = s.parked >= 0 && fx_.may_end_idle();
  s.idle_until_start = init.parked && !s.prepared->spec.process.scheduler;
  if (s.poolable) {  // a warm network namespace, or one made now
    auto netns = netns_pool_->take();
    if (!netns) return netns.error();
    s.netns = std::move(netns.value());
    init.netns_fd = s.netns.get();
  }
  std::string fifo;
  if (s.exec_fifo) {
    fifo = rt_.store().fifo(s.id);
    if (::mkfifo(fifo.c_str(), 0600) < 0 && errno != EEXIST) {
      s.exited = true;  // nothing to wait for
      return sys_error(errno, "mkfifo " + fifo);
    }
  }
  LaunchOptions lo{.tl = &tl,
                   .v2_made = v2_made,
                   .v2_existed = v2_existed,
                   .defer_spawn = spawner_.running() && fifo.empty(),
                   .shared_clone = opts_.shared_clone,
                   .warn = &rt_.warn};
  auto r = fx_.launch(cgroups(s), *s.prepared, s.cgroup, fifo, init, l, lo);
  if (r && l.deferred) {
    if (spawner_.send(token(i, kSpawned), s.prepared->bundle, s.cgroup, init)) {
      ++s.pending;
      step_launch(i, fsm::LaunchEvent::sent);
      if (cgroups(s).v2()) v2_parents_.insert(parent_of(s.cgroup));
      charge_phases(tl);
      drop_fds();
      return outcome::success();
    }
    // The spawner's socket is full (or it is gone): clone here.
    l = Launch{};
    lo.v2_made = true;
    lo.v2_existed = false;  // checked above
    lo.defer_spawn = false;
    r = fx_.launch(cgroups(s), *s.prepared, s.cgroup, fifo, init, l, lo);
  }
  if (r && cgroups(s).v2()) v2_parents_.insert(parent_of(s.cgroup));
  charge_phases(tl);
  if (l.child.pid < 0) {
    s.exited = true;  // nothing to wait for
    if (!r) return r;
    return sys_error(EIO, "clone3");
  }
  attach(i, l.child);
  drop_fds();
  if (!r) return r;
  return outcome::success();
}

void Engine::attach(uint32_t i, const Spawned& child) {
  Slot& s = slots_[i];
  step_launch(i, fsm::LaunchEvent::cloned);
  s.pid = child.pid;
  s.sock.reset(child.sock);
  s.donor = int16_t(child.donor);
  s.donor_risky = false;
  s.past_ready = false;
  s.exited = false;
  s.oom_kills = 0;
  s.info = {};
  // Our own child is waited for by pid (the zombie holds it): no fd per
  // container, so neither the fd table nor clone3's copy of it grows
  // with the number of containers. Without IORING_OP_WAITID the pidfd
  // is kept and polled.
  bool by_pid = ring_->features().waitid;
  if (by_pid) {
    ::close(child.pidfd);
  } else {
    s.pidfd.reset(child.pidfd);
  }
  // The init stays a zombie until its status is in the record (on_exit):
  // a daemon killed in between leaves it to its reaper, who tells.
  ++s.pending;
  if (by_pid)
    ring::prep_child_exit_wait(*ring_, token(i, kExit), s.pid, &s.info, true);
  else
    ring::prep_exit_wait(*ring_, token(i, kExit), s.pidfd.get(), true, &s.info, true);

  if (!arm_handshake(i)) {
    s.error = "io_uring: no submission entry";
    send_signal(i, SIGKILL);  // its exit completes the slot as a failed launch
  }
}

bool Engine::arm_handshake(uint32_t i) {
  Slot& s = slots_[i];
  s.msg = {};
  s.ts = ring::to_timespec(rt_.init_timeout);
  if (!ring_->reserve(2) ||
      !ring::prep_read(*ring_, token(i, kHandshake), s.sock.get(), &s.msg, sizeof s.msg))
    return false;
  ring::link_timeout(*ring_, &s.ts);
  ++s.pending;
  return true;
}

// The spawner pays off where the reactor's thread is the limit: with a few
// cores the machine's CPUs are, and the spawner's extra hop and work only
// cost. RINGC_SPAWNER=1 or 0 decides otherwise.
void Engine::start_spawner() {
  if (spawner_.running()) return;
  const char* env = std::getenv("RINGC_SPAWNER");
  cpu_set_t cpus;
  int n = ::sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  // Shared clones (shared_clone.h) cost the reactor less: no spawner
  // then, unless asked for, or where pooled network namespaces leave
  // clone3 the reactor's largest cost and there are cores to spare (on
  // 16 cores a pooled batch ran 6-17% faster with one, docs/pools.md).
  bool shared = opts_.shared_clone && shared_clone_enabled();
  bool want = n >= 4 && (!shared || (netns_pool_ && n >= 8));
  if (env ? std::string_view(env) != "1" : !want) return;
  if (!spawner_.start()) return;  // inits are cloned here, as before
  arm_spawner_reply();
  ring::prep_child_exit_wait(*ring_, ring::Token{0, 0, kSpawnerExit}.pack(), spawner_.pid(),
                             &spawner_info_);
}

void Engine::arm_spawner_reply() {
  reply_iov_ = {&reply_, sizeof reply_};
  reply_msg_ = {};
  reply_msg_.msg_iov = &reply_iov_;
  reply_msg_.msg_iovlen = 1;
  reply_msg_.msg_control = reply_control_;
  reply_msg_.msg_controllen = sizeof reply_control_;
  ring::prep_recvmsg(*ring_, ring::Token{0, 0, kSpawnerReply}.pack(), spawner_.fd(), &reply_msg_,
                     MSG_CMSG_CLOEXEC);
}

void Engine::on_spawner_reply(int res) {
  if (res <= 0) return on_spawner_gone();
  int fds[2] = {-1, -1};
  received_fds(reply_msg_, fds);
  SpawnReply rep = reply_;
  arm_spawner_reply();
  auto tok = ring::Token::unpack(rep.token);
  bool ok = res == int(sizeof rep) && rep.version == kSpawnVersion && tok.tag == kSpawned &&
            tok.slot < slots_.size() && slots_[tok.slot].used &&
            slots_[tok.slot].generation == tok.generation &&
            slots_[tok.slot].launch == fsm::LaunchPhase::spawning;
  if (!ok) {  // cannot happen: a slot is not freed while its request is out
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
    return;
  }
  uint32_t i = tok.slot;
  Slot& s = slots_[i];
  auto t0 = Clock::now();
  --s.pending;
  if (rep.pid < 0 || fds[0] < 0 || fds[1] < 0) {
    step_launch(i, fsm::LaunchEvent::spawn_failed);
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
    if (rep.pid > 0) {           // cloned, but its fds did not arrive: end it, reap it
      ::kill(rep.pid, SIGKILL);  // our unreaped child: the pid is still its
      ring::prep_child_exit_wait(*ring_, ring::kIgnored, rep.pid, &reap_sink_);
    }
    s.exited = true;  // no init
    rep.text[sizeof rep.text - 1] = 0;
    s.error = rep.text[0] ? rep.text : "the spawner could not clone the init";
    fire(i, fsm::Event::init_failed);
  } else {
    ++stats_.spawned;
    attach(i, Spawned{rep.pid, fds[0], fds[1]});
    if (s.state != fsm::State::creating) {  // deleted meanwhile
      step_launch(i, fsm::LaunchEvent::settled);
      send_signal(i, SIGKILL);
    }
  }
  charge(Phase::clone3, t0);
  if (s.used && s.state == fsm::State::deleting) advance_teardown(i);
}

// Requests still out will never be answered: those inits were not
// cloned (or were, and will be found by nobody but their exit): each such
// launch fails, and later ones clone here.
void Engine::on_spawner_gone() {
  spawner_.stopped();
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (!s.used || s.launch != fsm::LaunchPhase::spawning) continue;
    step_launch(i, fsm::LaunchEvent::spawn_failed);
    --s.pending;
    s.exited = true;
    s.error = "the spawner exited before it answered";
    fire(i, fsm::Event::init_failed);
    if (s.used && s.state == fsm::State::deleting) advance_teardown(i);
  }
}

void Engine::act(uint32_t i, fsm::Action a, int sig) {
  Slot& s = slots_[i];
  using A = fsm::Action;
  switch (a) {
    case A::none:
    case A::set_resources:  // update() has written them: the files name the errors
    case A::spawn_process:  // exec() has cloned the setup process, with what its request carries
      return;
    case A::freeze:
    case A::thaw:
      step_freezer(i, a == A::freeze ? fsm::FreezerEvent::freeze : fsm::FreezerEvent::thaw);
      return;
    case A::record_created:
      if (s.start)
        fire(i, fsm::Event::start);
      else
        write_record(i);
      return;
    case A::release_init:
      // The record first: once released, the program may already be asked
      // about (`state`, `pause`, `ps`) by whoever saw its output.
      write_record(i);
      s.start_after_record = true;
      return;
    case A::signal:
      send_signal(i, sig);
      if (sig == SIGKILL) thaw_for_kill(i);  // as runc: a frozen task dies only once thawed
      return;
    case A::signal_all:
      // The init first (its exit may not be handled yet), then the rest;
      // a cgroup already removed has nothing left to signal. A SIGKILL is
      // sent while they are frozen (none can fork meanwhile), then thawed.
      send_signal(i, sig);
      if (!s.cgroup.empty()) fx_.signal_cgroup(cgroups(s), s.cgroup, sig);
      if (sig == SIGKILL) thaw_for_kill(i);
      return;
    case A::terminate:
      send_signal(i, sig);
      arm(i, Timer::grace, s.grace);
      return;
    case A::kill_now:
      thaw_for_kill(i);
      send_signal(i, SIGKILL);
      fx_.signal_cgroup(cgroups(s), s.cgroup, SIGKILL);
      return;
    case A::record_exit:
    case A::record_stop:
      after_exit(i, a == A::record_stop);
      return;
    case A::destroy:
    case A::kill_and_destroy:
      if (s.timer != Timer::none) disarm(i);
      if (s.events_fd.get() >= 0) ring::prep_cancel(*ring_, token(i, kFreezePoll));
      thaw_for_kill(i);
      send_signal(i, SIGKILL);
      advance_teardown(i);
      return;
    case A::respawn:
      ++s.restarts;
      s.pidfd.reset();  // the last run's (an adopted one's) pidfd
      if (s.exit_source != ExitSource::own_child) forget_adopted(i);
      if (auto r = spawn_init(i); !r) {
        s.error = r.error().what();
        fire(i, fsm::Event::init_failed);
      }
      return;
  }
}

void Engine::send_signal(uint32_t i, int sig) {
  Slot& s = slots_[i];
  if (s.exited || s.pid <= 0) return;
  // Before its ready it may die inside malloc, holding a lock of the
  // donor's arena; after it, it allocates nothing until its exec.
  s.donor_risky |= s.donor >= 0 && !s.past_ready;
  // Until its exit completion is handled the child is not reaped, so its
  // pid cannot have been reused.
  fx_.signal(s.pid, s.pidfd.get(), sig);
}

void Engine::arm(uint32_t i, Timer t, std::chrono::milliseconds d) {
  Slot& s = slots_[i];
  s.timer = t;
  s.ts = ring::to_timespec(d);
  ++s.pending;
  ring::prep_timeout(*ring_, token(i, timer_tag(t)), &s.ts);
}

void Engine::disarm(uint32_t i) {
  Slot& s = slots_[i];
  ring::prep_cancel(*ring_, token(i, timer_tag(s.timer)));
  s.timer = Timer::none;
}

Engine::Tag Engine::timer_tag(Timer t) {
  switch (t) {
    case Timer::grace:
      return kTimerGrace;
    case Timer::restart:
      return kTimerRestart;
    case Timer::rmdir:
      return kTimerRmdir;
    case Timer::freeze:
      return kTimerFreeze;
    case Timer::empty:
      return kEmptyPoll;
    case Timer::none:
      break;
  }
  return Tag(0);
}

// The start byte, once the record says running: on the handshake socket,
// or on the exec fifo of an init made by `ringc create`.
void Engine::send_start(uint32_t i) {
  Slot& s = slots_[i];
  // Stopped or deleted meanwhile: nothing to start. Paused meanwhile: the
  // frozen init reads the byte once thawed.
  if (s.state != fsm::State::running && s.state != fsm::State::paused) return;
  auto t0 = Clock::now();
  if (s.sock.get() < 0 || s.exec_fifo) {  // made by `ringc create`: it waits on the exec fifo
    auto r = release_by_fifo(rt_.store().fifo(s.id), s.id);
    if (!r) {  // it stays created, and says why
      s.error = fmt::format("cannot start container \"{}\": {}", s.id, r.error().what());
      fire_recorded(i, fsm::Event::release_failed);
    }
    charge(Phase::release, t0);
    // No socket tells of the exec: the init execs as soon as it reads
    // the byte (or fails and exits, which the exit wait reports).
    if (r && !run_hooks(i, HookPoint::poststart)) fire(i, fsm::Event::exec_done);
    return;
  }
  if (s.idle_until_start) {  // before the byte: the program never runs idle
    s.idle_until_start = false;
    fx_.end_idle(s.pid);
  }
  bool sent;
  if (s.stdio_with_start) {  // a parked init: the run's client's stdio comes with the byte
    s.stdio_with_start = false;
    int stdio[3] = {s.flags->fds[0]->get(), s.flags->fds[1]->get(), s.flags->fds[2]->get()};
    sent = send_start_with_stdio(s.sock.get(), stdio);
    if (s.restart.kind == RestartKind::no) s.flags->fds.clear();  // the init has its copies
  } else {
    sent = send_go(s.sock.get(), Go::start);
  }
  if (!sent) s.error = "container init is no longer waiting for start";
  s.msg = {};
  ++s.pending;
  ring::prep_read(*ring_, token(i, kExecDone), s.sock.get(), &s.msg, sizeof s.msg);
  charge(Phase::release, t0);
}

void Engine::after_exit(uint32_t i, bool stopped) {
  Slot& s = slots_[i];
  s.start_time = 0;
  auto delay = restart_delay(s.restart, s.exit_code, s.restarts, stopped);
  if (!delay && s.flags) s.flags->fds.clear();  // no run to come needs them
  if (!delay && s.remove_on_exit) {
    fire(i, fsm::Event::remove);
    return;
  }
  write_record(i);
  if (delay) arm(i, Timer::restart, *delay);
}

void Engine::unlink(uint32_t i, Tag tag, std::string path, int flags, bool hard_link) {
  Slot& s = slots_[i];
  ++s.pending;
  ++s.unlinks;
  if (opts_.inline_files) {  // in order, so the hard link holds too
    int r = (flags & AT_REMOVEDIR) ? ::rmdir(path.c_str()) : ::unlink(path.c_str());
    inline_done_.push_back({token(i, tag), r < 0 ? -errno : 0, 0});
    return;
  }
  s.paths.push_back(std::move(path));
  ring::prep_unlink(*ring_, token(i, tag), s.paths.back().c_str(), flags, hard_link);
}

void Engine::on_unlink(uint32_t i, Tag tag, int res) {
  Slot& s = slots_[i];
  --s.unlinks;
  if (res == -EBUSY) {
    s.rmdir_busy = true;
  } else if ((res == -ENOTEMPTY || res == -EISDIR) && tag == kStoreGone) {
    // A damaged entry whose `state` is a directory: the unlink fails, the
    // rmdir after it too, and this removes the lot.
    (void)rt_.store().remove(s.id);  // files other than the record: rare
  } else if (res < 0 && res != -ENOENT && s.error.empty()) {
    s.error =
        fmt::format("remove {}: {}", tag == kRmdir ? "cgroup " + s.cgroup : "state of " + s.id,
                    std::strerror(-res));
  }
}

bool Engine::await_empty(uint32_t i) {
  Slot& s = slots_[i];
  if (s.events_fd.get() < 0) {
    auto fd = cgroup::open_unified_events(cgroups(s), s.cgroup);
    s.events_fd.reset(fd ? fd.value() : -1);
  }
  if (s.events_fd.get() < 0) return false;
  // Empty already: busy for another reason (a sub-cgroup just removed).
  if (cgroup::is_populated(s.events_fd.get()) != true || !ring_->reserve(2)) return false;
  s.timer = Timer::empty;  // holds the teardown while the poll is in flight
  s.events_ts = ring::to_timespec(kEmptyDeadline);
  ++s.pending;
  ring::prep_poll(*ring_, token(i, kEmptyPoll), s.events_fd.get(), POLLPRI);
  ring::link_timeout(*ring_, &s.events_ts);
  return true;
}

// Runs after every completion of a deleting container: each step starts
// when the one before has completed.
// The removal's own table (fsm/teardown.h): its next event, once what
// the step waits for has completed.
void Engine::advance_teardown(uint32_t i) {
  Slot& s = slots_[i];
  // Each step waits for the exit, a retry's poll or timer, unlinks and hooks in flight.
  if (!s.exited || s.timer != Timer::none || s.unlinks || s.hooks || s.record_ops) return;
  auto t0 = Clock::now();
  using TS = fsm::TeardownState;
  using TE = fsm::TeardownEvent;
  switch (s.teardown) {
    case TS::waiting:
      fire_teardown(i, TE::settled);
      break;
    case TS::cgroups:
      if (!s.rmdir_busy) {
        cgroups_removed(i);
      } else if (s.rmdir_attempts < kRmdirTries) {
        fire_teardown(i, TE::cgroup_busy);
      } else {
        if (s.error.empty())
          s.error =
              fmt::format("remove cgroup {}: still busy after {} tries", s.cgroup, kRmdirTries);
        fire_teardown(i, TE::busy_too_long);
      }
      break;
    case TS::emptying:
      fire_teardown(i, TE::emptied);
      break;
    case TS::store:
      fire_teardown(i, TE::store_gone);
      break;
    case TS::poststop:  // the hooks fire hooks_done
    case TS::done:
      break;
  }
  charge(Phase::teardown, t0);
  if (s.teardown == TS::done && s.pending == 0) {
    notify(i, s.state, fsm::Event::remove, true);
    release(i);
  }
}

void Engine::cgroups_removed(uint32_t i) {
  Slot& s = slots_[i];
  if (s.cgroup_pooled) {
    cgroup_pool_->give(s.cgroup);
    s.cgroup_pooled = false;
  }
  fire_teardown(i, fsm::TeardownEvent::cgroups_gone);
}

void Engine::fire_teardown(uint32_t i, fsm::TeardownEvent e) {
  Slot& s = slots_[i];
  auto action = advance(s.teardown, e);
  if (!action) return;
  using A = fsm::TeardownAction;
  switch (*action) {
    case A::none:
      return;
    case A::remove_cgroups:
      s.paths.clear();
      s.paths.reserve(cgroups(s).hierarchies.size() + 2);
      s.rmdir_busy = false;
      for (auto& h : cgroups(s).hierarchies)
        if (!s.cgroup_pooled || !CgroupPool::kept(h))
          unlink(i, kRmdir, h.mount + s.cgroup, AT_REMOVEDIR);
      // None to remove (no cgroup, or a pooled one that keeps them all):
      // nothing in flight will move it on.
      if (s.unlinks == 0) cgroups_removed(i);
      return;
    case A::kill_stragglers: {
      // Tasks still leaving (or strays of a shared pid namespace), or
      // sub-cgroups the container made: rare, so done here in place.
      fx_.signal_cgroup(cgroups(s), s.cgroup, SIGKILL);
      cgroup::remove_descendants(cgroups(s), s.cgroup);
      int attempt = s.rmdir_attempts++;
      if (!await_empty(i)) arm(i, Timer::rmdir, rmdir_backoff(attempt));
      return;
    }
    case A::remove_store:
      s.paths.clear();
      if (s.exec_fifo) unlink(i, kStoreGone, rt_.store().fifo(s.id), 0, true);
      unlink(i, kStoreGone, rt_.store().dir(s.id) + "/state", 0, true);
      unlink(i, kStoreGone, rt_.store().dir(s.id), AT_REMOVEDIR);
      return;
    case A::run_poststop:
      if (!run_hooks(i, HookPoint::poststop)) fire_teardown(i, fsm::TeardownEvent::hooks_done);
      return;
  }
}

}  // namespace ringc
