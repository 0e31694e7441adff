#include "core/verbs/lifecycle_hooks.h"

#include <csignal>

#include "core/base/sys.h"
#include "core/hooks/hooks.h"

namespace ringc {

namespace {
std::string state_of(const Spec& spec, std::string_view id, std::string_view status, pid_t pid,
                     std::string_view bundle) {
  return hook_state(spec.oci_version, id, status, pid, bundle, spec.annotations);
}
}  // namespace

Result<void> hooks_at_create(ring::Ring& r, const Spec& spec, std::string_view id, pid_t pid,
                             std::string_view bundle) {
  std::string state = state_of(spec, id, "creating", pid, bundle);
  RINGC_TRY(run_hooks(r, spec.hooks, HookKind::prestart, state));
  return run_hooks(r, spec.hooks, HookKind::create_runtime, state);
}

Result<void> hooks_after_start(Runtime& rt, const Spec& spec, std::string_view id, pid_t pid,
                               std::string_view bundle) {
  if (spec.hooks[HookKind::poststart].empty()) return outcome::success();
  RINGC_TRY(auto ring, rt.ring());
  auto r =
      run_hooks(*ring, spec.hooks, HookKind::poststart, state_of(spec, id, "running", pid, bundle));
  if (r) return r;
  sys::UniqueFd fd(sys::pidfd_open(pid));
  if (fd.get() >= 0) sys::pidfd_send_signal(fd.get(), SIGKILL);
  return wrap(r.error(), "container stopped");
}

void hooks_after_delete(Runtime& rt, const Spec& spec, std::string_view id,
                        std::string_view bundle) {
  if (spec.hooks[HookKind::poststop].empty()) return;
  auto ring = rt.ring();
  if (!ring) return rt.warn(ring.error().what());
  auto r = run_hooks(*ring.value(), spec.hooks, HookKind::poststop,
                     state_of(spec, id, "stopped", 0, bundle));
  if (!r) rt.warn(r.error().what());
}

}  // namespace ringc
