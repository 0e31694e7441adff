// The engine's loop and its slot table: completions in, events out.
// The actions each transition asks for are in engine_actions.cc.
#include "core/engine/engine.h"

#include <fmt/format.h>
#include <algorithm>

#include <cstring>

#include "cgroup/manager.h"
#include "cgroup/resources.h"
#include "cgroup/stats.h"
#include "core/base/exit.h"
#include "core/base/id.h"
#include "core/base/sys.h"
#include "core/engine/transition.h"
#include "core/init/console.h"
#include "core/spawn/shared_clone.h"
#include "ring/ops.h"
#include "ring/token.h"

namespace ringc {

std::string_view name(Phase p) {
  static constexpr std::string_view k[kPhaseCount] = {"claim",   "cgroup", "clone3",   "record",
                                                      "release", "exit",   "teardown", "busy"};
  return k[int(p)];
}

namespace {
// Engines made one after another in a process share its ring, and a
// request the last one cancelled leaves its completion in the queue: each
// engine's slots start at generations of their own, so that completion
// never passes for one of the next engine's (it is dropped as stale).
uint16_t next_epoch() {
  static uint16_t engines = 0;
  return uint16_t(++engines * 0x1001);
}
}  // namespace

Engine::Engine(Runtime& rt, EngineOptions o)
    : rt_(rt), opts_(o), fx_(o.effects ? *o.effects : real_effects()), epoch_(next_epoch()) {}

// Requests that point into the slots (an exit's siginfo, a handshake's
// message) or into the engine (the spawner's reply) are cancelled before
// that memory goes: the ring outlives the engine, and a container left
// running (batch --keep) may exit later into a reused mapping.
Engine::~Engine() {
  if (!ring_) return;
  // Record writes under way finish first (a rename cut short would leave
  // the temporary file; their paths and bytes are in the slots), with
  // what waits for them: a start byte, a reap. Nobody is told any more.
  on_notice = nullptr;
  on_exec = nullptr;
  for (uint32_t i = 0; i < slots_.size(); ++i) slots_[i].after_record.clear();
  auto is_record = [](const ring::Completion& c) {
    return c.user_data != ring::kIgnored && ring::Token::unpack(c.user_data).tag == kRecord;
  };
  while (!inline_done_.empty()) {
    auto done = std::move(inline_done_);
    inline_done_.clear();
    for (const ring::Completion& c : done)
      if (is_record(c)) handle(c);
  }
  ring::Completion batch[64];
  while (ring_record_ops_ > 0 && ring_->wait()) {
    unsigned n = ring_->reap(batch, 64);
    for (unsigned k = 0; k < n; ++k)
      if (is_record(batch[k])) handle(batch[k]);
  }
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    if (!s.used) continue;
    if (s.pid > 0 && !s.exited) (void)ring::cancel_now(*ring_, token(i, kExit));
    if (s.sock.get() >= 0) {
      (void)ring::cancel_now(*ring_, token(i, kHandshake));
      (void)ring::cancel_now(*ring_, token(i, kExecDone));
    }
    if (s.hooks && s.hooks->pidfd.get() >= 0) (void)ring::cancel_now(*ring_, token(i, kHookExit));
  }
  for (uint32_t r = 0; r < execs_.size(); ++r) {
    const ExecRun& x = execs_[r];
    if (!x.used) continue;
    if (x.setup_pidfd.get() >= 0) (void)ring::cancel_now(*ring_, exec_token(r, kExecSetupExit));
    if (x.sock.get() >= 0) (void)ring::cancel_now(*ring_, exec_token(r, kExecMessage));
    if (x.pidfd.get() >= 0) (void)ring::cancel_now(*ring_, exec_token(r, kExecExit));
  }
  if (spawner_.running()) (void)ring::cancel_now(*ring_, ring::Token{0, 0, kSpawnerReply}.pack());
  if (reaper_fd_.get() >= 0) (void)ring::cancel_now(*ring_, ring::Token{0, 0, kReaperRead}.pack());
}

Result<void> Engine::ready() {
  if (ring_) return outcome::success();
  rt_.ring_entries = opts_.ring_entries;
  RINGC_TRY(host_, rt_.cgroups());
  RINGC_TRY(ring_, rt_.ring());
  if (fx_.records_on_ring() && !opts_.inline_files && ring_->register_files())
    for (unsigned f = ring::kFixedFiles; f-- > 0;) free_files_.push_back(uint16_t(f));
  if (opts_.cgroup_pool) {
    CgroupPool::remove_stale(*host_);
    cgroup_pool_ = std::make_unique<CgroupPool>(*host_, opts_.cgroup_pool);
  }
  if (opts_.netns_pool) {
    netns_pool_ = std::make_unique<NetnsPool>(opts_.netns_pool);
    RINGC_TRY(netns_pool_->fill());
  }
  if (opts_.spawner) start_spawner();  // a pooled namespace goes along with the request
  return outcome::success();
}

uint64_t Engine::token(uint32_t slot, Tag tag) const {
  return ring::Token{slot, slots_[slot].generation, tag}.pack();
}

bool Engine::has(std::string_view id) const {
  return by_id_.count(id) != 0;
}

uint32_t Engine::alloc() {
  return take(slots_, free_);
}

void Engine::release(uint32_t i) {
  Slot& s = slots_[i];
  by_id_.erase(s.id);
  if (s.exit_source != ExitSource::own_child) forget_adopted(i);
  uint16_t g = s.generation;
  s = Slot{};  // closes its fds
  s.generation = g;
  free_.push_back(i);
}

void Engine::charge(Phase p, std::chrono::steady_clock::time_point since) {
  stats_.phase_ns[int(p)] += uint64_t(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - since)
          .count());
}

Result<void> Engine::supports(const Prepared& p, bool console_socket) {
  if (p.spec.process.terminal && !console_socket)
    return ringc_error(Errc::bad_usage,
                       fmt::format("{}/config.json: /process/terminal is true, and the engine "
                                   "(batch, daemon) needs a console socket to hand the pty to "
                                   "(create or run -d with --console-socket)",
                                   p.bundle));
  if (!p.spec.process.terminal && console_socket)
    return ringc_error(Errc::bad_usage,
                       "--console-socket: process.terminal is false, there is no pty to send");
  return outcome::success();
}

Result<void> Engine::launch(LaunchRequest req) {
  RINGC_TRY(ready());
  auto t0 = std::chrono::steady_clock::now();
  RINGC_TRY(validate_id(req.id));
  if (has(req.id))
    return ringc_error(Errc::exists, fmt::format("container with id exists: {}", req.id));
  RINGC_TRY(supports(*req.prepared, !req.flags.console_socket.empty() || req.flags.console));
  RINGC_TRY(req.cgroup_path, rootless_cgroup(*host_, *req.prepared, std::move(req.cgroup_path)));
  bool cgroup_pooled = false;
  if (cgroup_pool_ && req.templated && req.cgroup_path == cgroup::default_path(req.id) &&
      !cgroup_unpoolable(req.prepared->spec))
    if (auto path = cgroup_pool_->take(req.prepared)) {
      req.cgroup_path = std::move(*path);
      cgroup_pooled = true;
    }
  if (auto r = rt_.store().claim(req.id, intent_fields(*req.prepared, req.id, req.cgroup_path),
                                 /*sync=*/false);
      !r) {
    if (cgroup_pooled) cgroup_pool_->give(req.cgroup_path);
    return r.error();
  }
  charge(Phase::claim, t0);

  uint32_t i = alloc();
  Slot& s = slots_[i];
  s.id = std::move(req.id);
  s.prepared = std::move(req.prepared);
  s.cgroup = std::move(req.cgroup_path);
  s.start = req.start;
  s.remove_on_exit = req.remove_on_exit;
  s.exec_fifo = req.exec_fifo;
  s.restart = req.restart;
  s.poolable = netns_pool_ && !unpoolable(s.prepared->spec);
  s.cgroup_pooled = cgroup_pooled;
  s.parked = launching_parked_;
  if (s.parked >= 0) s.parked_at = std::chrono::steady_clock::now();
  // Fds kept for restarts are held once per open file, however many
  // containers share it.
  if (req.restart.kind != RestartKind::no)
    for (auto& fd : req.flags.fds) fd = held_fds_.hold(std::move(fd));
  if (req.flags.any()) s.flags = std::make_unique<InitFlags>(std::move(req.flags));
  by_id_.emplace(s.id, i);
  ++stats_.launches;
  notify(i, fsm::State::creating, fsm::Event::create);

  Result<void> spawned = outcome::success();
  if (!queue_cgroup(i)) spawned = spawn_init(i);
  if (!spawned && s.pid < 0) {
    // Nothing runs: undo here, and the caller hears the error.
    (void)cgroup::destroy(cgroups(s), s.cgroup);
    if (s.cgroup_pooled) cgroup_pool_->give(s.cgroup);
    (void)rt_.store().remove(s.id);
    release(i);
    charge(Phase::busy, t0);
    return spawned.error();
  }
  sync_claim(i);   // while the init sets up (or its cgroup is made)
  if (!spawned) {  // the init exists: it is killed and reaped like any other
    s.error = spawned.error().what();
    fire(i, fsm::Event::init_failed);
  }
  charge(Phase::busy, t0);
  return outcome::success();
}

Result<void> Engine::request(std::string_view id, fsm::Event e, int sig,
                             std::chrono::milliseconds grace) {
  RINGC_TRY(ready());
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return ringc_error(Errc::not_found, fmt::format("container \"{}\" does not exist", id));
  uint32_t i = it->second;
  if (e == fsm::Event::update)
    return ringc_error(Errc::bad_usage, "update: the engine's update() takes the resources");
  if (e == fsm::Event::exec || e == fsm::Event::exec_frozen)
    return ringc_error(Errc::bad_usage, "exec: the engine's exec() takes the process");
  RINGC_TRY(transition(id, slots_[i].state, e));
  if (e == fsm::Event::start || e == fsm::Event::pause || e == fsm::Event::resume) {
    RINGC_TRY(not_parked(i, e == fsm::Event::start ? "started" : "paused or resumed"));
  }
  auto t0 = std::chrono::steady_clock::now();
  // A request is judged on its own: why an earlier one failed (a poststart
  // hook, a freeze) was that one's answer, and must not fail a later delete.
  slots_[i].error.clear();
  slots_[i].grace = grace;
  fire(i, e, sig);
  charge(Phase::busy, t0);
  return outcome::success();
}

Result<void> Engine::update(std::string_view id, cgroup::Resources r) {
  RINGC_TRY(ready());
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return ringc_error(Errc::not_found, fmt::format("container \"{}\" does not exist", id));
  uint32_t i = it->second;
  RINGC_TRY(transition(id, slots_[i].state, fsm::Event::update));
  RINGC_TRY(not_parked(i, "updated"));
  r.devices.clear();
  if (auto why = cgroup::unsupported(cgroups(slots_[i]), r))
    return ringc_error(Errc::bad_spec, fmt::format("update: resources{}", *why));
  RINGC_TRY(fx_.apply(cgroups(slots_[i]), slots_[i].cgroup, r));
  fire(i, fsm::Event::update);
  return outcome::success();
}

Result<void> Engine::step() {
  RINGC_TRY(ready());
  if (!inline_done_.empty()) {  // made in this thread: no wait for them
    auto done = std::move(inline_done_);
    inline_done_.clear();
    for (const ring::Completion& c : done) handle(c);
    return outcome::success();
  }
  if (auto w = ring_->wait(); !w) return Error{w.error(), "io_uring wait"};
  auto t0 = std::chrono::steady_clock::now();
  ring::Completion batch[128];
  while (unsigned n = ring_->reap(batch, 128))
    for (unsigned k = 0; k < n; ++k) handle(batch[k]);
  if (parked_dirty_) tend_parked();
  charge(Phase::busy, t0);
  return outcome::success();
}

void Engine::handle(const ring::Completion& c) {
  ++stats_.completions;
  if (c.user_data == ring::kIgnored) return;
  auto tok = ring::Token::unpack(c.user_data);
  if (tok.tag >= ring::kOtherTagBase) {
    if (on_other) on_other(c);
    return;
  }
  if (tok.tag == kSpawnerReply) return on_spawner_reply(c.res);
  if (tok.tag == kSpawnerExit) return;  // reaped; its socket's EOF told the rest
  if (tok.tag == kReaperRead) return on_reaper_read(c.res);
  if (tok.tag == kExecSetupExit || tok.tag == kExecMessage || tok.tag == kExecExit) {
    if (tok.slot < execs_.size() && execs_[tok.slot].used &&
        execs_[tok.slot].generation == tok.generation)
      handle_exec(tok.slot, Tag(tok.tag), c.res);
    return;
  }
  if (tok.slot >= slots_.size()) return;
  Slot& s = slots_[tok.slot];
  if (!s.used || s.generation != tok.generation) return;
  --s.pending;
  switch (tok.tag) {
    case kHandshake:
      on_handshake(tok.slot, c.res);
      break;
    case kExecDone:
      on_exec_done(tok.slot, c.res);
      break;
    case kExit:
      on_exit(tok.slot, c.res);
      break;
    case kTimerGrace:
    case kTimerRestart:
    case kTimerRmdir:
    case kTimerFreeze:
      on_timer(tok.slot, Tag(tok.tag), c.res);
      break;
    case kFreezePoll:  // its deadline, or a destroy's cancel, which check_freeze sees
      check_freeze(tok.slot);
      break;
    case kRmdir:
    case kStoreGone:
      on_unlink(tok.slot, Tag(tok.tag), c.res);
      break;
    case kCgroupMade:
      on_cgroup_made(tok.slot, c.res);
      break;
    case kHookExit:
      on_hook_exit(tok.slot, c.res);
      break;
    case kEmptyPoll:  // emptied, or its deadline: the rmdirs again (below)
      s.timer = Timer::none;
      break;
    case kRecord:
      on_record(tok.slot, c.res);
      break;
    case kRecordSync:
      on_record_sync(tok.slot, c.res);
      break;
  }
  if (s.used && s.state == fsm::State::deleting) advance_teardown(tok.slot);
}

void Engine::on_handshake(uint32_t i, int res) {
  Slot& s = slots_[i];
  auto checked = res > 0
                     ? check_message(s.msg, res, {MsgKind::ready, MsgKind::hooks, MsgKind::seccomp})
                     : Result<void>(outcome::success());
  if (res > 0 && checked && s.msg.kind == MsgKind::ready) {
    s.past_ready = true;
    for (int k = 0; k < kChildPhaseCount; ++k) stats_.init_us[k] += s.msg.phase_us[k];
    ++stats_.inits_ready;
    if (s.flags && !s.flags->pidfd_socket.empty()) {
      // Our child, not reaped: its pid is still its own.
      sys::UniqueFd fd(s.pidfd.get() >= 0 ? ::dup(s.pidfd.get()) : sys::pidfd_open(s.pid));
      auto sent = fd.get() < 0 ? sys_error(errno, "pidfd_open")
                               : send_pidfd(s.flags->pidfd_socket, fd.get());
      if (!sent) {
        s.error = sent.error().what();
        fire(i, fsm::Event::init_failed);
        return;
      }
    }
    fire(i, fsm::Event::init_ready);
    return;
  }
  if (res > 0 && checked && s.msg.kind == MsgKind::seccomp) {  // its listener, for the agent
    // Our child, not reaped: its pid is its own (as for --pidfd-socket).
    sys::UniqueFd fd(s.pidfd.get() >= 0 ? ::dup(s.pidfd.get()) : sys::pidfd_open(s.pid));
    auto given = fd.get() < 0 ? sys_error(errno, "pidfd_open")
                              : give_listener(i, s.prepared->spec, fd.get(), s.pid, s.msg.fd,
                                              "creating", s.sock.get());
    if (given && arm_handshake(i)) return;
    s.error = given ? "io_uring: no submission entry" : given.error().what();
    fire(i, fsm::Event::init_failed);
    return;
  }
  if (res > 0 && checked &&
      s.msg.kind == MsgKind::hooks) {  // prestart and createRuntime, then it goes on
    step_launch(i, fsm::LaunchEvent::hooks_asked);
    if (!run_hooks(i, HookPoint::create)) hooks_done(i, HookPoint::create, {});
    return;
  }
  // Failed already (a launch step after the clone): that error stays.
  if (s.state != fsm::State::creating && !s.error.empty()) return;
  if (res == -ECANCELED)
    s.error = fmt::format("container init did not report within {} ms", rt_.init_timeout.count());
  else if (res < 0)
    s.error = fmt::format("read from container init: {}", std::strerror(-res));
  else if (res == 0)
    s.error = "container init exited during setup";
  else
    s.error = checked.error().what();
  fire(i, fsm::Event::init_failed);
}

void Engine::on_exec_done(uint32_t i, int res) {
  Slot& s = slots_[i];
  s.sock.reset();
  if (res == 0 && s.donor >= 0) {  // exec'd: out of this address space
    give_back_donor(s.donor, !s.donor_risky);
    s.donor = -1;
  }
  if (res > 0) {
    // exec itself failed: the init reported why and exits 1 next.
    s.error = check_message(s.msg, res, {}).error().what();
    return;
  }
  if (!run_hooks(i, HookPoint::poststart)) fire(i, fsm::Event::exec_done);
}

void Engine::on_exit(uint32_t i, int res) {
  auto t0 = std::chrono::steady_clock::now();
  Slot& s = slots_[i];
  if (s.hooks && s.hooks->point == HookPoint::poststart) {
    s.hooks->exit_held = true;
    s.hooks->exit_res = res;
    return;
  }
  if (s.exit_source != ExitSource::own_child) {
    auto code = adopted_exit_code(s);
    if (!code) {  // the reaper tells it: exited() then
      s.exit_source = ExitSource::awaiting_reaper;
      return;
    }
    s.exit_code = *code;
    exited(i);
  } else {
    if (s.pidfd.get() >= 0 && !ring_->features().waitid)
      (void)sys::waitid_nohang(s.pidfd.get(), &s.info, true);
    s.exit_code = res < 0 ? -1 : exit_code(s.info);
    if (s.donor >= 0) {  // it never exec'd: lent again after a plain exit or one past its ready
      bool clean = res >= 0 && (s.past_ready || s.info.si_code == CLD_EXITED);
      give_back_donor(s.donor, clean && !s.donor_risky);
      s.donor = -1;
    }
    pid_t zombie = s.pid;
    uint16_t g = s.generation;
    exited(i);
    // Reaped once the record has the status (the slot may be gone, or its
    // record still on its way).
    if (s.used && s.generation == g && s.record_ops > 0)
      s.reap_after_record = zombie;
    else
      sys::reap(zombie);
  }
  charge(Phase::exit, t0);
}

void Engine::exited(uint32_t i) {
  Slot& s = slots_[i];
  s.exited = true;
  // Its processes are gone (a pid namespace of its own): the network
  // namespace goes back to the pool if nothing of them is left in it.
  if (s.netns.get() >= 0) netns_pool_->give(std::move(s.netns));
  // A SIGKILL may be the OOM killer's: the cgroup's counter says (one
  // small read, only for these exits, charged to the exit phase).
  if ((s.exit_code == 128 + SIGKILL || s.exit_source != ExitSource::own_child) && host_)
    s.oom_kills = cgroup::oom_kills(cgroups(s), s.cgroup);
  if (s.timer == Timer::grace) disarm(i);
  fire(i, fsm::Event::exited);
}

void Engine::on_timer(uint32_t i, Tag tag, int res) {
  Slot& s = slots_[i];
  if (res == -ECANCELED || tag != timer_tag(s.timer)) return;  // disarmed
  Timer t = s.timer;
  s.timer = Timer::none;
  if (t == Timer::grace)
    fire(i, fsm::Event::grace_expired);
  else if (t == Timer::restart)
    fire(i, fsm::Event::restart_due);
  else if (t == Timer::freeze)
    check_freeze(i);
  // rmdir: advance_teardown runs after every completion of a deleting slot.
}

bool Engine::fire(uint32_t i, fsm::Event e, int sig) {
  Slot& s = slots_[i];
  auto r = fsm::apply(s.state, e);
  if (!r) {
    ++stats_.refused;
    return false;
  }
  fsm::State from = s.state;
  s.state = r.ok->next;
  if (from == fsm::State::creating && s.state != fsm::State::creating)
    step_launch(i, fsm::LaunchEvent::settled);
  ++firing_;
  notify(i, from, e);
  act(i, r.ok->action, sig);
  if (--firing_ == 0) flush_notices();
  return true;
}

void Engine::fire_recorded(uint32_t i, fsm::Event e, bool record) {
  ++firing_;
  fire(i, e);
  if (record) write_record(i);
  if (--firing_ == 0) flush_notices();
}

void Engine::step_launch(uint32_t i, fsm::LaunchEvent e) {
  if (auto next = fsm::apply(slots_[i].launch, e)) slots_[i].launch = *next;
}

void Engine::notify(uint32_t i, fsm::State from, fsm::Event e, bool gone) {
  if (slots_[i].parked >= 0 || slots_[i].taken_from >= 0) parked_notice(i, from, e, gone);
  if (!on_notice) return;
  const Slot& s = slots_[i];
  QueuedNotice q{i, s.generation, {}, s.id, s.error, s.warning};
  q.notice = Notice{{}, from, s.state, e, s.exited ? s.exit_code : -1, {}, gone, s.oom_kills, {}};
  outbox_.push_back(std::move(q));
  if (firing_ == 0) flush_notices();
}

void Engine::flush_notices() {
  if (flushing_) return;  // the flush under way reaches what is queued meanwhile
  flushing_ = true;
  for (size_t k = 0; k < outbox_.size();) {
    const QueuedNotice& q = outbox_[k];
    const Slot& s = slots_[q.slot];
    if (s.used && s.generation == q.generation && s.record_ops > 0) {
      ++k;  // its record is on its way: told once it is written
      continue;
    }
    QueuedNotice out = std::move(outbox_[k]);
    outbox_.erase(outbox_.begin() + long(k));
    out.notice.id = out.id;
    out.notice.error = out.error;
    out.notice.warning = out.warning;
    if (on_notice) on_notice(out.notice);
  }
  flushing_ = false;
}

EngineStats Engine::stats() const {
  EngineStats st = stats_;
  if (netns_pool_) st.netns = netns_pool_->stats();
  if (cgroup_pool_) st.cgroups = cgroup_pool_->stats();
  for (const ParkedPool& p : parked_) {
    st.parked.push_back(p.st);
    // Ready: its created record written (one still being written is not
    // taken: the rename would pull the directory from under the write).
    ParkedStats& out = st.parked.back();
    out.ready = unsigned(std::count_if(p.ready.begin(), p.ready.end(),
                                       [&](uint32_t i) { return slots_[i].record_ops == 0; }));
    int64_t refilling = p.refilling_ns;
    if (p.refilling_since != std::chrono::steady_clock::time_point{})
      refilling +=
          std::chrono::nanoseconds(std::chrono::steady_clock::now() - p.refilling_since).count();
    for (uint32_t i : p.ready) out.memory_kib += slots_[i].parked_charge / 1024;
    if (p.st.made) out.refill_ms = double(p.refill_ns) / double(p.st.made) / 1e6;
    if (refilling > 0) out.refills_per_second = double(p.st.made) * 1e9 / double(refilling);
  }
  slots_.each([&](const Slot& s) {
    if (!s.used) return;
    ++st.by_state[int(s.state)];
    st.ops_in_flight += s.pending;
  });
  if (ring_) st.queue_full = ring_->queue_full_count();
  st.held_fds = held_fds_.size();
  return st;
}

}  // namespace ringc
