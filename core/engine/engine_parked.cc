// Parked inits (issue 21): containers of a bundle made ahead, set up and
// waiting for start under ids of their own, taken by a run of that bundle
// (docs/pools.md).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include <fmt/format.h>

#include "cgroup/manager.h"
#include "cgroup/stats.h"
#include "core/base/id.h"
#include "core/engine/engine.h"

namespace ringc {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

bool Engine::parks(const std::string& bundle) const {
  for (const ParkedPool& p : parked_)
    if (p.st.size && p.st.bundle == bundle) return true;
  return false;
}

Result<void> Engine::park(std::shared_ptr<const Prepared> p, unsigned size) {
  RINGC_TRY(ready());
  const std::string where = p->bundle + "/config.json";
  if (p->spec.hooks.any())
    return ringc_error(Errc::bad_usage,
                       where +
                           ": /hooks: a parked init cannot run hooks (they would see its "
                           "parked id, not the run's)");
  if (p->spec.linux_cfg.seccomp && p->spec.linux_cfg.seccomp->notifies())
    return ringc_error(Errc::bad_usage,
                       where +
                           ": /linux/seccomp/listenerPath: a parked init's seccomp agent would "
                           "see its parked id, not the run's");
  if (p->spec.process.terminal)
    return ringc_error(Errc::bad_usage,
                       where + ": /process/terminal: a parked init has no console to send");
  if (!p->spec.linux_cfg.cgroups_path.empty())
    return ringc_error(Errc::bad_usage,
                       where +
                           ": /linux/cgroupsPath: every parked init needs a cgroup of its "
                           "own (the default, under /ringc)");
  auto it = std::find_if(parked_.begin(), parked_.end(),
                         [&](const ParkedPool& q) { return q.st.bundle == p->bundle; });
  if (it == parked_.end()) {
    it = parked_.insert(parked_.end(), ParkedPool{});
    it->st.bundle = p->bundle;
  }
  // Declared again: config.json as it reads now. Those parked from the
  // old one go (a run gets what a cold run of the bundle would).
  for (uint32_t i : std::exchange(it->ready, {})) {
    slots_[i].parked = -1;
    (void)request(slots_[i].id, fsm::Event::force_remove);
  }
  it->prepared = std::move(p);
  it->st.size = size;
  it->held = false;
  tend_parked();
  return outcome::success();
}

Result<void> Engine::not_parked(uint32_t i, std::string_view what) const {
  const Slot& s = slots_[i];
  if (s.parked < 0) return outcome::success();
  return ringc_error(Errc::bad_usage,
                     fmt::format("container \"{}\" is parked for runs of {}: it cannot be {} (a "
                                 "run of the bundle takes it; kill or delete it to drop it)",
                                 s.id, parked_[size_t(s.parked)].st.bundle, what));
}

void Engine::unpark() {
  for (ParkedPool& p : parked_) p.st.size = 0;
  tend_parked();
}

// Parked inits made until each pool has its size ready or on its way;
// those beyond it, and those that died waiting, removed.
void Engine::tend_parked() {
  parked_dirty_ = false;
  // What this step answered (a run's reply, its start byte's record) goes
  // to the kernel before a refill's clone holds the thread.
  if (ring_) (void)ring_->submit();
  for (const std::string& id : std::exchange(parked_dead_, {}))
    if (has(id)) (void)request(id, fsm::Event::force_remove);
  for (size_t k = 0; k < parked_.size(); ++k) {
    ParkedPool& pool = parked_[k];
    while (pool.ready.size() > pool.st.size) {
      uint32_t i = pool.ready.front();
      pool.ready.erase(pool.ready.begin());
      slots_[i].parked = -1;
      (void)request(slots_[i].id, fsm::Event::force_remove);
    }
    pool.st.over_budget = false;
    // Charged beyond the budget (the kernel charges a cgroup in batches,
    // so one init may read more than those before it): the newest go.
    for (uint64_t charged = opts_.parked_memory ? parked_charged() : 0;
         !pool.ready.empty() && charged > opts_.parked_memory;) {
      uint32_t i = pool.ready.back();
      pool.ready.pop_back();
      charged -= slots_[i].parked_charge;
      slots_[i].parked = -1;
      (void)request(slots_[i].id, fsm::Event::force_remove);
      pool.st.over_budget = true;
    }
    // A refill's clone costs the reactor a millisecond: made once the runs
    // taken are started, not before their start bytes.
    while (!pool.held && !pool.starting && pool.ready.size() + pool.st.making < pool.st.size) {
      if (!parked_fits_budget()) {
        pool.st.over_budget = true;
        break;
      }
      LaunchRequest req;
      req.id = fmt::format("{}{}-{}", kParkedPrefix, ::getpid(), ++parked_seq_);
      req.prepared = pool.prepared;
      req.cgroup_path = cgroup::default_path(req.id);
      req.start = false;
      launching_parked_ = int16_t(k);
      auto launched = Clock::now();
      auto r = launch(std::move(req));
      launching_parked_ = -1;
      if (!r) {
        ++pool.st.failed;
        pool.st.last_error = r.error().what();
        pool.held = true;
        break;
      }
      ++pool.st.making;
      if (pool.refilling_since == Clock::time_point{}) pool.refilling_since = launched;
    }
  }
}

uint64_t Engine::parked_charged() const {
  uint64_t waiting = 0;
  for (const ParkedPool& p : parked_)
    for (uint32_t i : p.ready) waiting += slots_[i].parked_charge;
  return waiting;
}

bool Engine::parked_fits_budget() const {
  if (!opts_.parked_memory) return true;
  uint64_t largest = 0;
  unsigned making = 0;
  for (const ParkedPool& p : parked_) {
    making += p.st.making;
    largest = std::max(largest, p.largest_charge);
  }
  // The first one made sets the charge expected of the next: none is
  // launched beside it.
  if (!largest) return making == 0;
  return parked_charged() + (making + 1) * largest <= opts_.parked_memory;
}

// A parked init's transitions: ready once created; one that failed, or
// died while it waited, is counted, and the pool makes no more until its
// next take (a bundle that cannot start is not retried in a loop).
void Engine::parked_notice(uint32_t i, fsm::State from, fsm::Event e, bool gone) {
  Slot& s = slots_[i];
  // A taken one is `running` from the request on; it has started once its
  // program exec'd (or it stopped, or went, trying).
  if (s.taken_from >= 0 && (gone || e == fsm::Event::exec_done || s.state != fsm::State::running)) {
    --parked_[size_t(s.taken_from)].starting;
    s.taken_from = -1;
    parked_dirty_ = true;
  }
  if (s.parked < 0 || size_t(s.parked) >= parked_.size() || (!gone && s.state == from)) return;
  ParkedPool& pool = parked_[size_t(s.parked)];
  auto waiting = std::find(pool.ready.begin(), pool.ready.end(), i);
  if (waiting != pool.ready.end()) {
    pool.ready.erase(waiting);
  } else if (from == fsm::State::creating) {
    --pool.st.making;
    auto now = Clock::now();
    if (pool.st.making == 0 && pool.refilling_since != Clock::time_point{}) {
      pool.refilling_ns += std::chrono::nanoseconds(now - pool.refilling_since).count();
      pool.refilling_since = {};  // refilling is the time one is being made
    }
    if (!gone && s.state == fsm::State::created) {
      pool.ready.push_back(i);
      ++pool.st.made;
      pool.refill_ns += std::chrono::nanoseconds(now - s.parked_at).count();
      s.parked_charge = cgroup::memory_usage(cgroups(s), s.cgroup).value_or(0);
      pool.largest_charge = std::max(pool.largest_charge, s.parked_charge);
      // Short still (the first made alone, or the rest held for the
      // budget): the next, if it fits now.
      parked_dirty_ |= pool.ready.size() + pool.st.making < pool.st.size;
      parked_dirty_ |= pool.ready.size() > pool.st.size;  // made smaller meanwhile
      return;
    }
  }
  ++pool.st.failed;
  pool.held = true;
  if (!s.error.empty()) pool.st.last_error = s.error;
  s.parked = -1;
  if (!gone && s.state == fsm::State::stopped) parked_dead_.push_back(s.id);
  parked_dirty_ = true;
}

Result<bool> Engine::take_parked(const std::string& bundle, LaunchRequest& req) {
  RINGC_TRY(ready());
  auto pool = std::find_if(parked_.begin(), parked_.end(),
                           [&](const ParkedPool& q) { return q.st.size && q.st.bundle == bundle; });
  if (pool == parked_.end()) return false;
  const InitFlags& f = req.flags;
  // What an init gets at create: a parked one was made without it.
  bool plain = !req.exec_fifo && f.console_socket.empty() && !f.console && f.pidfd_socket.empty() &&
               !f.no_pivot && !f.no_new_keyring && f.fds.size() == (f.stdio ? 3u : 0u) &&
               f.listen_fds == 0;
  RINGC_TRY(validate_id(req.id));
  if (has(req.id))
    return ringc_error(Errc::exists, fmt::format("container with id exists: {}", req.id));
  pool->held = false;
  parked_dirty_ = true;  // refilled at the end of this step
  // The oldest whose record is written (a write in flight names its dir).
  auto it = std::find_if(pool->ready.begin(), pool->ready.end(), [&](uint32_t k) {
    return slots_[k].record_ops == 0 && slots_[k].state == fsm::State::created;
  });
  if (!plain || it == pool->ready.end()) {
    ++pool->st.misses;
    return false;
  }
  uint32_t i = *it;
  Slot& s = slots_[i];
  // The state directory is the run's from now on: its record says the new
  // id with the start's write, before the start byte is sent.
  std::string from = rt_.store().dir(s.id), to = rt_.store().dir(req.id);
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) < 0) {
    if (errno == EEXIST || errno == ENOTEMPTY)
      return ringc_error(Errc::exists, fmt::format("container with id exists: {}", req.id));
    return sys_error(errno, fmt::format("rename {} to {}", from, to));
  }
  pool->ready.erase(it);
  ++pool->st.hits;
  by_id_.erase(s.id);
  s.id = std::move(req.id);
  by_id_.emplace(s.id, i);
  s.parked = -1;
  s.created_ns = 0;        // the record says when the client asked, as a cold one's would
  s.record_inline = true;  // the start's (or create's) record: the write the client waits for
  if (req.start) {         // refills wait until its program runs
    s.taken_from = int16_t(pool - parked_.begin());
    ++pool->starting;
  }
  s.remove_on_exit = req.remove_on_exit;
  s.restart = req.restart;
  if (req.restart.kind != RestartKind::no)
    for (auto& fd : req.flags.fds) fd = held_fds_.hold(std::move(fd));
  if (req.flags.any()) {
    s.flags = std::make_unique<InitFlags>(std::move(req.flags));
    s.stdio_with_start = s.flags->stdio;
  }
  if (!req.start) {  // a create: created under its id, as a cold one comes to be
    write_record(i);
    notify(i, fsm::State::creating, fsm::Event::init_ready);
    return true;
  }
  RINGC_TRY(request(s.id, fsm::Event::start));
  return true;
}

}  // namespace ringc
