// Recovery: containers of a supervisor that died are taken over from their
// records, and what the engine knows is looked up by id.
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>

#include <vector>

#include "cgroup/manager.h"
#include "core/base/sys.h"
#include "core/engine/engine.h"
#include "core/engine/reaped_exit.h"
#include "core/store/observe.h"
#include "ring/ops.h"

namespace ringc {

Result<fsm::State> Engine::adopt(const RecordView& r) {
  RINGC_TRY(ready());
  if (has(r.id()))
    return ringc_error(Errc::exists, "container with id exists: " + std::string(r.id()));
  RestartPolicy restart{RestartKind(r.restart_kind()), int(r.restart_max())};
  std::shared_ptr<Prepared> p;
  if (restart.kind != RestartKind::no || (r.flags() & kRecordHooks)) {
    // A restart, or poststart and poststop hooks, need the whole spec
    // again: read the bundle now. (A bundle that is gone drops the
    // policy, and `state` then shows "no"; the hooks are not run.)
    if (auto full = prepare(r.id(), std::string(r.bundle())))
      p = std::make_shared<Prepared>(std::move(full).value());
  }
  if (!p) {
    p = std::make_shared<Prepared>();
    p->bundle = r.bundle();
    p->rootfs = r.rootfs();
    p->spec.oci_version = r.oci_version();
    r.for_each_annotation(
        [&](std::string_view k, std::string_view v) { p->spec.annotations.emplace_back(k, v); });
    restart = {};
  }

  uint32_t i = alloc();
  Slot& s = slots_[i];
  s.id = r.id();
  s.prepared = std::move(p);
  s.cgroup = r.cgroup();
  s.restart = restart;
  s.remove_on_exit = r.flags() & kRecordRemoveOnExit;
  s.restarts = int(r.restarts());
  s.created_ns = r.created_ns();
  s.pid = r.pid();
  s.start_time = r.start_time();
  s.exit_source = ExitSource::adopted;
  s.exit_code = r.exit_code();
  by_id_.emplace(s.id, i);
  if (s.pid > 0) adopted_pids_[s.pid] = i;

  // The container enters where its record says it is; the table decides
  // from there (`adopted`, `adopted_gone`) what the kernel's word makes of it.
  fsm::State recorded = r.status();
  s.state = recorded;
  ProcStat live;
  int fd = recorded == fsm::State::stopped ? -1 : open_pidfd(r, &live);
  if (fd < 0) {
    // Gone (or its pid now names another process): stopped, status
    // unknown unless the record has it. Half-made or half-deleted
    // containers are finished off.
    s.exited = true;
    // Exited while no daemon ran: the reaper may have told how.
    if (auto e = early_exits_.find(s.pid);
        e != early_exits_.end() && e->second.start_time == s.start_time) {
      s.exit_code = exit_code_of_status(e->second.status);
      early_exits_.erase(e);
    }
    bool removing = recorded == fsm::State::creating || recorded == fsm::State::deleting;
    // A zombie nobody reaped yet still tells.
    if (!removing && s.exit_code < 0)
      if (auto st = exit_status_of(s.pid, s.start_time, -1)) s.exit_code = exit_code_of_status(*st);
    // Stopped is what the record and the kernel say together already
    // (observed_state): the record is rewritten only for a code learned.
    fire_recorded(i, fsm::Event::adopted_gone,
                  !removing && recorded != fsm::State::stopped && s.exit_code >= 0 &&
                      opts_.record_adopted_exits);
    return removing ? fsm::State::deleting : fsm::State::stopped;
  }
  s.pidfd.reset(fd);
  if (restart.kind != RestartKind::no) take_fds(i, r.passed_fds(), r.listen_fds());
  if (reaper_fd_.get() >= 0 && live.ppid == ::getppid()) s.exit_source = ExitSource::reaper;
  // A kill must thaw it (v1) to land.
  if (recorded == fsm::State::paused) step_freezer(i, fsm::FreezerEvent::adopted);
  ++s.pending;
  ring::prep_exit_wait(*ring_, token(i, kExit), fd, false, &s.info);
  // A stop under way is finished; a half-made (its creator's handshake is
  // gone, it can never start) or half-deleted one removed.
  fire(i, fsm::Event::adopted, SIGKILL);
  return recorded == fsm::State::creating ? fsm::State::deleting : recorded;
}

// A run to come gets the stdio this one has (a client's, held by the
// supervisor that died, or that supervisor's own), and the fds from 3 its
// client passed (`passed`, the first `listen` of them LISTEN_FDS'): taken
// from the live init with pidfd_getfd. Where any of the three is missing,
// or the kernel refuses, later runs get ours; where one of those from 3
// is, later runs get none of them (the program may have closed it).
void Engine::take_fds(uint32_t i, unsigned passed, unsigned listen) {
  Slot& s = slots_[i];
  std::vector<SharedFd> fds;
  for (unsigned n = 0; n < 3 + passed; ++n) {
    int got = sys::pidfd_getfd(s.pidfd.get(), int(n));
    if (got < 0 && n < 3) return;
    if (got < 0) {
      fds.resize(3);
      listen = 0;
      break;
    }
    fds.push_back(held_fds_.hold(std::make_shared<const sys::UniqueFd>(got)));
  }
  if (!s.flags) s.flags = std::make_unique<InitFlags>();
  s.flags->fds = std::move(fds);
  s.flags->stdio = true;
  s.flags->listen_fds = listen;
}

Result<void> Engine::take_over(std::string_view id, bool force) {
  RINGC_TRY(ready());
  if (has(id)) return outcome::success();
  auto rec = rt_.store().read(id);
  if (rec) {
    RINGC_TRY(adopt(rec.value().view()));
    return outcome::success();
  }
  auto unrecorded = force ? rt_.store().unrecorded_cgroup(id, rec.error()) : std::nullopt;
  if (!unrecorded) return rec.error();
  std::string cg = std::move(*unrecorded);
  uint32_t i = alloc();
  Slot& s = slots_[i];
  s.id = id;
  s.cgroup = cg;
  s.prepared = std::make_shared<Prepared>();
  s.exited = true;                 // no init known: what the cgroup holds is killed
  s.state = fsm::State::deleting;  // as a record cut short would say
  if (rec.error().is(Errc::corrupt_state)) {
    s.warning = fmt::format("{}; removed by its cgroup {}", rec.error().what(), cg);
    rt_.warn(s.warning);
  }
  by_id_.emplace(s.id, i);
  fx_.signal_cgroup(cgroup::of(*host_, cg), cg, SIGKILL);
  fire(i, fsm::Event::adopted_gone);
  return outcome::success();
}

// The exit of an init that is not ours: the reaper's word if it came
// first, else its zombie or pidfs; or the reaper's word to come.
std::optional<int> Engine::adopted_exit_code(Slot& s) {
  std::optional<int> status;
  if (s.wait_status >= 0)
    status = s.wait_status;
  else
    status = exit_status_of(s.pid, s.start_time, s.pidfd.get());
  if (status) return exit_code_of_status(*status);
  bool reapers =
      s.exit_source == ExitSource::reaper || s.exit_source == ExitSource::awaiting_reaper;
  if (reapers && reaper_fd_.get() >= 0) return std::nullopt;
  return -1;
}

// The next run is our child: its exit is ours to wait for.
void Engine::forget_adopted(uint32_t i) {
  Slot& s = slots_[i];
  if (auto it = adopted_pids_.find(s.pid); it != adopted_pids_.end() && it->second == i)
    adopted_pids_.erase(it);
  s.exit_source = ExitSource::own_child;
  s.wait_status = -1;
}

Result<void> Engine::attach_reaper(int fd) {
  RINGC_TRY(ready());
  reaper_fd_.reset(fd);
  for (;;) {
    ReapedExit e;
    ssize_t n = ::recv(fd, &e, sizeof e, MSG_DONTWAIT | MSG_WAITALL);
    if (n != ssize_t(sizeof e)) {
      if (n > 0) {  // a record in part: the rest follows on the ring
        std::memcpy(reaper_buf_, &e, size_t(n));
        reaper_len_ = size_t(n);
      }
      break;
    }
    early_exits_[e.pid] = {e.start_time, e.status};
  }
  arm_reaper();
  return outcome::success();
}

void Engine::arm_reaper() {
  ring::prep_read(*ring_, ring::Token{0, 0, kReaperRead}.pack(), reaper_fd_.get(),
                  reaper_buf_ + reaper_len_, unsigned(sizeof reaper_buf_ - reaper_len_));
}

void Engine::on_reaper_read(int res) {
  if (res <= 0) {  // the reaper is gone (and this daemon with it, by its death signal)
    reaper_fd_.reset();
    return;
  }
  reaper_len_ += size_t(res);
  size_t whole = reaper_len_ / sizeof(ReapedExit) * sizeof(ReapedExit);
  for (size_t at = 0; at < whole; at += sizeof(ReapedExit)) {
    ReapedExit e;
    std::memcpy(&e, reaper_buf_ + at, sizeof e);
    reaped(e.pid, e.start_time, e.status);
  }
  std::memmove(reaper_buf_, reaper_buf_ + whole, reaper_len_ - whole);
  reaper_len_ -= whole;
  arm_reaper();
}

void Engine::reaped(pid_t pid, uint64_t start_time, int status) {
  auto it = adopted_pids_.find(pid);
  if (it == adopted_pids_.end()) return;  // not an init: a container's own orphan
  uint32_t i = it->second;
  Slot& s = slots_[i];
  if (!s.used || s.pid != pid || s.start_time != start_time) return;
  if (s.exit_source == ExitSource::awaiting_reaper) {
    s.exit_source = ExitSource::reaper;
    s.exit_code = exit_code_of_status(status);
    exited(i);
  } else if (!s.exited) {
    s.wait_status = status;  // the exit completion comes next
  } else if (s.exit_code < 0) {
    // Recorded stopped with no status at recovery; told late.
    s.exit_code = exit_code_of_status(status);
    write_record(i);
  }
}

std::optional<Engine::View> Engine::view(std::string_view id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  const Slot& s = slots_[it->second];
  return View{s.state, s.pid, s.exited ? s.exit_code : -1, s.restarts, s.launch, s.freezer};
}

}  // namespace ringc
