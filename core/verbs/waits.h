// Waits a command-line operation makes, each one io_uring completion with a
// ring timer as its deadline: no sleep loops, no blocking waitpid.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/error.h"
#include "core/base/exit.h"
#include "core/spawn/spawn.h"
#include "ring/ring.h"

namespace ringc {

// A foreground command through a daemon, forwarding every signal that
// arrives on signal_fd (a signalfd) and copying the pty (a master, with
// SIGWINCH a resize) until the exit: the reply to a `wait` (or exec) sent on fd (exit_of reads its
// code), and each signal goes through forward (a `kill` request).
struct DaemonWait {
  int fd = -1;
  std::string buffered;  // read from fd already (the start of the reply)
  std::function<Result<int>(std::string_view reply)> exit_of;
  std::function<void(int sig)> forward;
};
Result<int> await_reply_forwarding(ring::Ring& r, const DaemonWait& w, int signal_fd,
                                   int pty_master = -1);

}  // namespace ringc
