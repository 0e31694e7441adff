// Spawning a container's init: clone3(CLONE_PIDFD) in the caller, all setup
// in the child, the handshake (handshake.h) over a SOCK_SEQPACKET pair.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <string>
#include <vector>

#include "cgroup/layout.h"
#include "core/base/error.h"
#include "core/init/handshake.h"
#include "core/init/plan.h"
#include "core/spec/spec.h"

namespace ringc {

// Returns once the child exists; readiness arrives on `sock`. With a user
// namespace the child waits for Go::mapped on `sock` first: the parent has
// written its id maps and placed it in its v1 cgroups. Otherwise the child
// makes and joins its v1 cgroups itself, on its own core.
Result<Spawned> spawn(const SpawnPlan& plan);

}  // namespace ringc
