// Waits a command-line operation makes, each one io_uring completion with a
// ring timer as its deadline: no sleep loops, no blocking waitpid.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "core/base/error.h"
#include "core/spawn/spawn.h"
#include "ring/ring.h"

namespace ringc {

// One message of the `expected` kinds (check_message), with EOF (every
// writer gone: exited, or exec'd with the socket close-on-exec) as
// nullopt instead of an error.
Result<std::optional<HandshakeMsg>> await_message(ring::Ring& r, int sock,
                                                  std::chrono::milliseconds deadline,
                                                  std::initializer_list<MsgKind> expected);

// Waits for the process behind pidfd to exit. For our own child it is
// reaped and the shell-style code returned (128+N for signal N); for
// another's, -1 (the code belongs to its parent).
Result<int> await_exit(ring::Ring& r, int pidfd, bool child, std::chrono::milliseconds deadline);

// Like await_exit for our own child, forwarding every signal that arrives
// on signal_fd (a signalfd) to it meanwhile: foreground `run`. With a pty
// master (process.terminal), also copies stdin to it and it to stdout,
// and turns SIGWINCH into a resize; the copy drains after the exit.
// (core/verbs/foreground.cc)
Result<int> await_exit_forwarding(ring::Ring& r, int pidfd, int signal_fd, int pty_master = -1);

// The same for a container a daemon supervises: the exit is the reply to
// a `wait` sent on fd (exit_of reads its code), and each signal goes
// through forward (a `kill` request).
struct DaemonWait {
  int fd = -1;
  std::function<Result<int>(std::string_view reply)> exit_of;
  std::function<void(int sig)> forward;
};
Result<int> await_reply_forwarding(ring::Ring& r, const DaemonWait& w, int signal_fd,
                                   int pty_master = -1);

// Exit code from a waitid() siginfo: the status, or 128+signal.
int exit_code(const siginfo_t& info);

}  // namespace ringc
