// The foreground side of a command (`run` without -d, `exec`, their
// --daemon forms): each signal that arrives on a signalfd passed on, and
// for a terminal container the pty copied both ways, SIGWINCH a resize,
// all as completions on a ring that may be an engine's (its tags are of
// the ring's "other" range, which an engine hands to on_other).
#pragma once

#include <signal.h>
#include <sys/signalfd.h>
#include <termios.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/base/error.h"
#include "ring/ring.h"
#include "ring/token.h"

namespace ringc {

class Forwarder {
 public:
  // signal: passes one signal on (to the init, or as a daemon request).
  Forwarder(ring::Ring& r, int signal_fd, int pty_master, std::function<void(int)> signal);
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;
  ~Forwarder();

  // Arms the signal read and, with a pty, the copy (the caller's terminal
  // in raw mode until the end).
  Result<void> start();
  bool owns(uint64_t user_data) const;
  // One of its completions.
  Result<void> on(const ring::Completion& c);
  // The exit came: no more signals; the pty's output drains until the
  // kernel reports no peer left, with a deadline for peers that outlive
  // the init.
  Result<void> exited();
  // Exited and drained: stop() may come.
  bool drained() const;
  // Cancels what is in flight; its buffers must outlive each operation,
  // so the caller feeds completions to on() until busy() is false.
  void stop();
  bool busy() const;

 private:
  struct Pipe;
  ring::Ring& r_;
  int signal_fd_, pty_;
  std::function<void(int)> signal_;
  std::unique_ptr<Pipe> in_, out_;
  signalfd_siginfo si_{};
  bool sig_pending_ = false, exited_ = false, stopping_ = false, drain_timer_ = false;
  __kernel_timespec drain_{};
  termios saved_{};
  bool raw_ = false;
};

class Engine;

// The signals a foreground command passes on, blocked (and read from a
// signalfd) while it runs.
class BlockedSignals {
 public:
  BlockedSignals();
  ~BlockedSignals();
  BlockedSignals(const BlockedSignals&) = delete;
  BlockedSignals& operator=(const BlockedSignals&) = delete;
  int fd() const { return fd_; }

 private:
  sigset_t old_;
  int fd_ = -1;
};

// Runs the engine's ring with f's operations on it until `ended` (set by
// the caller's notice handler), then drains the pty and stops f.
Result<void> forward_on_engine(Engine& engine, Forwarder& f, const std::function<bool()>& ended);

// The tags of the forwarder's operations, and of a caller's own exit
// wait beside them.
inline constexpr uint64_t forward_tag(uint16_t n) {
  return ring::Token{0, 0, uint16_t(ring::kOtherTagBase + 0x40 + n)}.pack();
}
inline constexpr uint64_t kForwardExitTag = forward_tag(0);

}  // namespace ringc
