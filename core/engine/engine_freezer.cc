// The freezer's table (fsm/freezer.h) carried out: pause and resume as
// writes to the cgroup, then what the kernel says, awaited through the
// ring (cgroup.events) or, on v1-only hosts, re-read on ring timers.
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cgroup/freezer.h"
#include "core/engine/engine.h"
#include "ring/ops.h"

namespace ringc {

namespace {
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kFreezeDeadline{10'000};  // as the CLI waited
}  // namespace

// pause and resume: the request to the kernel now, the freezer's
// `settled` (fsm/freezer.h) when cgroup.events says so (a POLLPRI poll
// through the ring), or on v1-only hosts when freezer.state does (re-read
// on ring timers).
void Engine::step_freezer(uint32_t i, fsm::FreezerEvent e) {
  Slot& s = slots_[i];
  auto a = advance(s.freezer, e);
  if (!a) return;
  using FA = fsm::FreezerAction;
  switch (*a) {
    case FA::none:
      return;
    case FA::write_frozen:
    case FA::write_thawed:
      write_freezer(i, *a == FA::write_frozen);
      return;
    case FA::tell_frozen:
      fire_recorded(i, fsm::Event::frozen);
      return;
    case FA::tell_thawed:
      fire_recorded(i, fsm::Event::thawed);
      return;
    case FA::undo_freeze:  // what froze is thawed: the container runs on
      (void)fx_.request_freeze(cgroups(s), s.cgroup, false);
      fire_recorded(i, fsm::Event::freeze_failed);
      return;
    case FA::tell_not_thawed:
      fire_recorded(i, fsm::Event::thaw_failed);
      return;
    case FA::thaw_for_kill:
      (void)fx_.request_freeze(cgroups(s), s.cgroup, false);
      return;
  }
}

void Engine::thaw_for_kill(uint32_t i) {
  if (!slots_[i].exited) step_freezer(i, fsm::FreezerEvent::kill);
}

void Engine::write_freezer(uint32_t i, bool frozen) {
  Slot& s = slots_[i];
  if (s.events_fd.get() < 0) {
    auto fd = cgroup::open_events(cgroups(s), s.cgroup);  // read once: POLLPRI is for what follows
    s.events_fd.reset(fd ? fd.value() : -1);
  }
  s.freeze_until = Clock::now() + kFreezeDeadline;
  if (cgroups(s).hierarchies.empty())
    return freeze_failed(i, fmt::format("{}: the container has no cgroup to freeze (a rootless "
                                        "ringc runs its containers without cgroups)",
                                        frozen ? "pause" : "resume"));
  if (auto r = fx_.request_freeze(cgroups(s), s.cgroup, frozen); !r)
    return freeze_failed(i, fmt::format("{} cgroup {}: {}", frozen ? "freeze" : "thaw", s.cgroup,
                                        r.error().message()));
  check_freeze(i);
}

// The kernel refused or did not settle in time: the freezer's `refused`,
// with why (a pause goes back to running, a resume stays paused).
void Engine::freeze_failed(uint32_t i, std::string why) {
  slots_[i].error = std::move(why);
  step_freezer(i, fsm::FreezerEvent::refused);
}

void Engine::check_freeze(uint32_t i) {
  Slot& s = slots_[i];
  using FS = fsm::FreezerState;
  if (s.freezer != FS::freezing && s.freezer != FS::thawing) return;  // settled, or killed
  if (s.state == fsm::State::deleting || s.exited) return;
  const bool want_frozen = s.freezer == FS::freezing;
  if (s.events_fd.get() >= 0) {  // re-arm: POLLPRI again only after a read
    char buf[256];
    (void)::pread(s.events_fd.get(), buf, sizeof buf, 0);
  }
  auto now = fx_.is_frozen(cgroups(s), s.cgroup);
  if (now && now.value() == want_frozen) return step_freezer(i, fsm::FreezerEvent::settled);
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(s.freeze_until - Clock::now());
  if (left.count() <= 0)
    return freeze_failed(
        i, fmt::format("cgroup {} not {} after {} ms", s.cgroup, want_frozen ? "frozen" : "thawed",
                       kFreezeDeadline.count()));
  if (s.events_fd.get() >= 0 && ring_->reserve(2)) {
    ++s.pending;
    s.events_ts = ring::to_timespec(left);
    ring::prep_poll(*ring_, token(i, kFreezePoll), s.events_fd.get(), POLLPRI);
    ring::link_timeout(*ring_, &s.events_ts);
  } else {
    // v1-only hosts: freezer.state has no notification; re-read on a timer
    // (so too when the queue has no room for the pair).
    arm(i, Timer::freeze, std::min(left, std::chrono::milliseconds(5)));
  }
}

}  // namespace ringc
