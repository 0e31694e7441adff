// A process's exit: its code as a shell gives it, and a wait for it
// through the ring with a deadline (for callers with nothing else to do
// meanwhile: a hook, `ps`'s command).
#pragma once

#include <signal.h>

#include <chrono>

#include "core/base/error.h"
#include "ring/ring.h"

namespace ringc {

// Exit code from a waitid() siginfo: the status, or 128+signal.
int exit_code(const siginfo_t& info);

// Waits for the process behind pidfd to exit. For our own child it is
// reaped and the shell-style code returned (128+N for signal N); for
// another's, -1 (the code belongs to its parent).
Result<int> await_exit(ring::Ring& r, int pidfd, bool child, std::chrono::milliseconds deadline);

}  // namespace ringc
