// The runtime's side of the hooks, at the points of create, start and
// delete where the CLI runs them (core/hooks/hooks.h has the kinds and rules).
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "core/base/error.h"
#include "core/base/runtime.h"
#include "core/spec/spec.h"

namespace ringc {

// prestart then createRuntime, status "creating", while the init waits
// before pivot_root.
Result<void> hooks_at_create(ring::Ring& r, const Spec& spec, std::string_view id, pid_t pid,
                             std::string_view bundle);

// poststart, status "running". A failure stops the container (SIGKILL) and
// is returned: the caller's start fails, and delete is what comes next.
Result<void> hooks_after_start(Runtime& rt, const Spec& spec, std::string_view id, pid_t pid,
                               std::string_view bundle);

// poststop, status "stopped", after the container is gone. A failure is a
// warning (rt.warn); the delete has happened.
void hooks_after_delete(Runtime& rt, const Spec& spec, std::string_view id,
                        std::string_view bundle);

}  // namespace ringc
