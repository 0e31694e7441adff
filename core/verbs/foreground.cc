// Foreground commands: the exit, forwarded signals and, for a terminal
// container, the pty copy, all as completions on one ring.
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "core/base/sys.h"
#include "core/engine/engine.h"
#include "core/verbs/container.h"
#include "core/verbs/forwarder.h"
#include "core/verbs/waits.h"
#include "ring/ops.h"

namespace ringc {

namespace {
const uint64_t kSig = forward_tag(1), kIn = forward_tag(2), kToPty = forward_tag(3),
               kPty = forward_tag(4), kOut = forward_tag(5), kDrain = forward_tag(6);

void copy_window_size(int master) {
  winsize ws{};
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

Error no_sqe() {
  return sys_error(EBUSY, "io_uring: no submission entry");
}
}  // namespace

// One direction of the copy: read into buf, write all of it, read again.
struct Forwarder::Pipe {
  Pipe(int f, int t, uint64_t rt, uint64_t wt) : from(f), to(t), read_tag(rt), write_tag(wt) {}
  int from, to;
  uint64_t read_tag, write_tag;
  char buf[16384];
  unsigned len = 0, off = 0;
  bool open = true, reading = false, writing = false;

  bool read(ring::Ring& r) { return reading = ring::prep_read(r, read_tag, from, buf, sizeof buf); }
  bool write(ring::Ring& r) {
    return writing = ring::prep_write(r, write_tag, to, buf + off, len - off);
  }
  // Advances on a completion of this pipe; once closed (EOF, EIO: no peer
  // left, or stopping) it only notes what finished.
  void on(ring::Ring& r, const ring::Completion& c, bool stopping) {
    if (c.user_data == read_tag) {
      reading = false;
      if (c.res <= 0 || stopping) {
        open = false;
        return;
      }
      len = unsigned(c.res);
      off = 0;
      if (!write(r)) open = false;
      return;
    }
    writing = false;
    if (c.res <= 0 || stopping) {
      open = false;
      return;
    }
    off += unsigned(c.res);
    if (!(off < len ? write(r) : read(r))) open = false;
  }
  bool busy() const { return reading || writing; }
};

Forwarder::Forwarder(ring::Ring& r, int signal_fd, int pty_master, std::function<void(int)> signal)
    : r_(r), signal_fd_(signal_fd), pty_(pty_master), signal_(std::move(signal)) {
  if (pty_ >= 0) {
    in_ = std::make_unique<Pipe>(0, pty_, kIn, kToPty);
    out_ = std::make_unique<Pipe>(pty_, 1, kPty, kOut);
  }
}

Forwarder::~Forwarder() {
  if (raw_) ::tcsetattr(0, TCSANOW, &saved_);
}

Result<void> Forwarder::start() {
  if (!(sig_pending_ = ring::prep_read(r_, kSig, signal_fd_, &si_, sizeof si_))) return no_sqe();
  if (pty_ < 0) return outcome::success();
  // The caller's terminal in raw mode: keys go to the container's line
  // discipline, not ours.
  if (::isatty(0) && ::tcgetattr(0, &saved_) == 0) {
    termios raw = saved_;
    ::cfmakeraw(&raw);
    raw_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
  }
  copy_window_size(pty_);
  if (!in_->read(r_) || !out_->read(r_)) return no_sqe();
  return outcome::success();
}

bool Forwarder::owns(uint64_t user_data) const {
  return user_data == kSig || user_data == kIn || user_data == kToPty || user_data == kPty ||
         user_data == kOut || user_data == kDrain;
}

Result<void> Forwarder::on(const ring::Completion& c) {
  if (c.user_data == kSig) {
    sig_pending_ = false;
    if (stopping_) return outcome::success();
    if (c.res == int(sizeof si_)) {
      if (pty_ >= 0 && si_.ssi_signo == SIGWINCH)
        copy_window_size(pty_);
      else if (!exited_)
        signal_(int(si_.ssi_signo));
    }
    if (!(sig_pending_ = ring::prep_read(r_, kSig, signal_fd_, &si_, sizeof si_))) return no_sqe();
  } else if (c.user_data == kDrain) {
    drain_timer_ = false;
    if (out_) out_->open = false;
  } else if (in_ && (c.user_data == kIn || c.user_data == kToPty)) {
    in_->on(r_, c, stopping_);
  } else if (out_ && (c.user_data == kPty || c.user_data == kOut)) {
    out_->on(r_, c, stopping_);
  }
  return outcome::success();
}

Result<void> Forwarder::exited() {
  exited_ = true;
  if (pty_ < 0) return outcome::success();
  drain_ = ring::to_timespec(std::chrono::seconds(1));
  if (!(drain_timer_ = ring::prep_timeout(r_, kDrain, &drain_))) return no_sqe();
  return outcome::success();
}

bool Forwarder::drained() const {
  return exited_ && !(out_ && out_->open && out_->busy());
}

void Forwarder::stop() {
  stopping_ = true;
  for (uint64_t tag : {kSig, kIn, kToPty, kPty, kOut, kDrain}) ring::prep_cancel(r_, tag);
}

bool Forwarder::busy() const {
  return sig_pending_ || drain_timer_ || (in_ && in_->busy()) || (out_ && out_->busy());
}

BlockedSignals::BlockedSignals() {
  sigset_t fwd = forwarded_signals();
  ::sigprocmask(SIG_BLOCK, &fwd, &old_);
  fd_ = ::signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
}

BlockedSignals::~BlockedSignals() {
  if (fd_ >= 0) ::close(fd_);
  ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

// Every exit path leaves nothing of f's in flight: its buffers go with it.
Result<void> forward_on_engine(Engine& engine, Forwarder& f, const std::function<bool()>& ended) {
  engine.on_other = [&f](const ring::Completion& c) {
    if (f.owns(c.user_data)) (void)f.on(c);
  };
  auto run = [&]() -> Result<void> {
    RINGC_TRY(f.start());
    while (!ended()) {
      RINGC_TRY(engine.step());
    }
    RINGC_TRY(f.exited());
    while (!f.drained()) {
      RINGC_TRY(engine.step());
    }
    return outcome::success();
  };
  auto result = run();
  f.stop();
  while (f.busy()) {
    if (!engine.step()) break;  // the ring itself failed: nothing more comes
  }
  engine.on_other = nullptr;
  return result;
}

namespace {
// The loop of a foreground command on a ring of its own: signals passed
// on, the pty copied, until `exit` (our child's pidfd, or a daemon's
// reply) gives the code.
template <class Exit>
Result<int> forward_until_exit(ring::Ring& r, Exit& exit, int signal_fd, int pty_master) {
  Forwarder f(r, signal_fd, pty_master, [&exit](int sig) { exit.signal(sig); });
  // The exit may be known already (a reply read with the one before it).
  RINGC_TRY(std::optional<int> code, exit.early());
  if (!code && !exit.arm(r)) return no_sqe();
  RINGC_TRY(f.start());
  if (code) {
    RINGC_TRY(f.exited());
  }
  ring::Completion batch[8];
  auto next = [&]() -> Result<void> {
    if (auto w = r.wait(); !w) return Error{w.error(), "io_uring"};
    unsigned n = r.reap(batch, 8);
    for (unsigned i = 0; i < n; ++i) {
      const auto& c = batch[i];
      if (c.user_data != kForwardExitTag) {
        RINGC_TRY(f.on(c));
        continue;
      }
      RINGC_TRY(auto got, exit.on(r, c));
      if (!got) {
        if (!exit.arm(r)) return no_sqe();
        continue;
      }
      code = *got;
      RINGC_TRY(f.exited());
    }
    return outcome::success();
  };
  while (!code || !f.drained()) {
    RINGC_TRY(next());
  }
  f.stop();
  while (f.busy()) {
    RINGC_TRY(next());
  }
  return *code;
}

// A daemon's container: the exit is the reply line on fd.
struct ReplyExit {
  explicit ReplyExit(const DaemonWait& d) : w(d), line(d.buffered) {}
  const DaemonWait& w;
  char buf[4096];
  std::string line;
  bool arm(ring::Ring& r) { return ring::prep_read(r, kForwardExitTag, w.fd, buf, sizeof buf); }
  Result<std::optional<int>> early() { return code(); }
  Result<std::optional<int>> on(ring::Ring&, const ring::Completion& c) {
    if (c.res < 0) return sys_error(-c.res, "read from daemon");
    if (c.res == 0) return ringc_error(Errc::init_failed, "the daemon closed the connection");
    line.append(buf, size_t(c.res));
    return code();
  }
  Result<std::optional<int>> code() {
    size_t nl = line.find('\n');
    if (nl == std::string::npos) return std::optional<int>();
    RINGC_TRY(int c, w.exit_of(std::string_view(line).substr(0, nl)));
    return std::optional<int>(c);
  }
  void signal(int sig) { w.forward(sig); }
};
}  // namespace

Result<int> await_reply_forwarding(ring::Ring& r, const DaemonWait& w, int signal_fd,
                                   int pty_master) {
  ReplyExit exit(w);
  return forward_until_exit(r, exit, signal_fd, pty_master);
}

}  // namespace ringc
