// The runtime's hooks in the engine: each hook is a process of ours whose
// exit is a completion on the ring (its timeout linked), and the
// container's next step waits for the last of them. The points and rules
// are the CLI's (core/hooks/hooks.h); the init runs createContainer and
// startContainer itself, with or without an engine.
#include <sys/socket.h>
#include <sys/wait.h>

#include <csignal>
#include <optional>
#include <string_view>

#include "core/base/exit.h"
#include "core/base/sys.h"
#include "core/engine/engine.h"
#include "core/hooks/hooks.h"
#include "ring/ops.h"

namespace ringc {

namespace {
struct PointHooks {
  HookKind kinds[2];
  uint8_t count;
  std::string_view status;  // in the state the hooks read
};
// Indexed by Engine::HookPoint.
constexpr PointHooks kPoints[] = {
    {{HookKind::prestart, HookKind::create_runtime}, 2, "creating"},
    {{HookKind::poststart}, 1, "running"},
    {{HookKind::poststop}, 1, "stopped"},
};
}  // namespace

bool Engine::run_hooks(uint32_t i, HookPoint p) {
  Slot& s = slots_[i];
  if (!s.prepared) return false;
  const PointHooks& pt = kPoints[int(p)];
  bool any = false;
  for (uint8_t k = 0; k < pt.count; ++k) any |= !s.prepared->spec.hooks[pt.kinds[k]].empty();
  if (!any) return false;
  s.hooks = std::make_unique<HookRun>();
  s.hooks->point = p;
  next_hook(i);
  return true;
}

void Engine::next_hook(uint32_t i) {
  Slot& s = slots_[i];
  HookRun& h = *s.hooks;
  const PointHooks& pt = kPoints[int(h.point)];
  const Spec& spec = s.prepared->spec;
  while (h.kind < pt.count && h.index >= spec.hooks[pt.kinds[h.kind]].size()) {
    ++h.kind;
    h.index = 0;
  }
  if (h.kind == pt.count) return hooks_done(i, h.point, {});
  const Hook& hook = spec.hooks[pt.kinds[h.kind]][h.index];
  pid_t pid = h.point == HookPoint::poststop ? 0 : s.pid;
  auto fd = start_hook(hook, hook_state(spec.oci_version, s.id, pt.status, pid, s.prepared->bundle,
                                        spec.annotations));
  if (!fd) return hooks_done(i, h.point, fd.error().what());
  h.pidfd.reset(fd.value());
  h.timed_out = false;
  h.info = {};
  h.ts = ring::to_timespec(hook_timeout(hook));
  // Without a timeout in the config the hook may run as long as it likes.
  bool timed = hook.timeout_s.has_value();
  if ((timed && !ring_->reserve(2)) ||
      !ring::prep_exit_wait(*ring_, token(i, kHookExit), h.pidfd.get(), true, &h.info)) {
    // No entry to be had: the hook cannot be waited for, so it is ended
    // (a SIGKILLed process is gone at once) and the point fails.
    sys::pidfd_send_signal(h.pidfd.get(), SIGKILL);
    siginfo_t info{};
    (void)::waitid(idtype_t(P_PIDFD), id_t(h.pidfd.get()), &info, WEXITED);
    h.pidfd.reset();
    return hooks_done(i, h.point, "io_uring: no submission entry for a hook");
  }
  if (timed) ring::link_timeout(*ring_, &h.ts);
  ++s.pending;
}

void Engine::on_hook_exit(uint32_t i, int res) {
  Slot& s = slots_[i];
  if (!s.hooks || s.hooks->pidfd.get() < 0) return;
  HookRun& h = *s.hooks;
  if (res == -ECANCELED && !h.timed_out) {  // its timeout ran out: end it, then judge it
    h.timed_out = true;
    sys::pidfd_send_signal(h.pidfd.get(), SIGKILL);
    if (ring::prep_exit_wait(*ring_, token(i, kHookExit), h.pidfd.get(), true, &h.info)) {
      ++s.pending;
      return;
    }
    (void)::waitid(idtype_t(P_PIDFD), id_t(h.pidfd.get()), &h.info, WEXITED);
  } else if (!ring_->features().waitid) {
    (void)sys::waitid_nohang(h.pidfd.get(), &h.info);  // a polled pidfd: reap it here
  }
  h.pidfd.reset();
  HookKind k = kPoints[int(h.point)].kinds[h.kind];
  const Hook& hook = s.prepared->spec.hooks[k][h.index];
  int code = res < 0 && !h.timed_out ? -1 : exit_code(h.info);
  if (auto r = hook_result(k, h.index, hook, code, h.timed_out); !r)
    return hooks_done(i, h.point, r.error().what());
  ++h.index;
  next_hook(i);
}

void Engine::hooks_done(uint32_t i, HookPoint p, std::string error) {
  Slot& s = slots_[i];
  std::optional<int> held;
  if (s.hooks->exit_held) held = s.hooks->exit_res;
  s.hooks.reset();
  switch (p) {
    case HookPoint::create:
      if (s.state != fsm::State::creating) return;  // deleted meanwhile: the init is killed
      if (error.empty()) {
        // The init goes on to pivot_root; its next message is ready, or why not.
        step_launch(i, fsm::LaunchEvent::hooks_ran);
        if (send_go(s.sock.get(), Go::hooks_ran) && arm_handshake(i)) return;
        error = "container init is no longer waiting for its hooks";
      }
      s.error = std::move(error);
      fire(i, fsm::Event::init_failed);
      return;
    case HookPoint::poststart:
      if (s.state == fsm::State::running || s.state == fsm::State::paused) {
        if (error.empty()) {
          fire(i, fsm::Event::exec_done);
        } else {
          // As the CLI's start: the container is stopped, and its start
          // (or run) fails with the hook's error when the exit comes.
          s.error = "container stopped: " + error;
          thaw_for_kill(i);
          send_signal(i, SIGKILL);
        }
      }
      if (held) on_exit(i, *held);
      return;
    case HookPoint::poststop:
      if (!error.empty()) {  // the delete has happened: a warning, as runc's
        rt_.warn(error);
        s.warning = std::move(error);
      }
      // advance_teardown goes on: the caller's, when a hook could not even
      // start, or handle()'s after this completion.
      fire_teardown(i, fsm::TeardownEvent::hooks_done);
      return;
  }
}

}  // namespace ringc
