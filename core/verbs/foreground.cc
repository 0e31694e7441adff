// Foreground `run`: the exit, forwarded signals and, for a terminal
// container, the pty copy, all as completions on one ring.
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <string>

#include "core/base/sys.h"
#include "core/verbs/waits.h"
#include "ring/ops.h"

namespace ringc {

namespace {
enum : uint64_t { kExit = 1, kSig, kIn, kToPty, kPty, kOut, kDrain };

// The caller's terminal in raw mode while a pty container runs: keys go
// to the container's line discipline, not ours.
class RawStdin {
 public:
  explicit RawStdin(bool on) {
    if (on && ::isatty(0) && ::tcgetattr(0, &saved_) == 0) {
      termios raw = saved_;
      ::cfmakeraw(&raw);
      active_ = ::tcsetattr(0, TCSANOW, &raw) == 0;
    }
  }
  ~RawStdin() {
    if (active_) ::tcsetattr(0, TCSANOW, &saved_);
  }

 private:
  termios saved_{};
  bool active_ = false;
};

void copy_window_size(int master) {
  winsize ws{};
  if (::ioctl(0, TIOCGWINSZ, &ws) == 0) ::ioctl(master, TIOCSWINSZ, &ws);
}

// One direction of the copy: read into buf, write all of it, read again.
struct Pipe {
  Pipe(int f, int t, uint64_t rt, uint64_t wt) : from(f), to(t), read_tag(rt), write_tag(wt) {}
  int from, to;
  uint64_t read_tag, write_tag;
  char buf[16384];
  unsigned len = 0, off = 0;
  bool open = true, reading = false, writing = false;

  bool read(ring::Ring& r) {
    reading = ring::prep_read(r, read_tag, from, buf, sizeof buf);
    return reading;
  }
  bool write(ring::Ring& r) {
    writing = ring::prep_write(r, write_tag, to, buf + off, len - off);
    return writing;
  }
  // Advances on a completion of this pipe; false when it is finished.
  bool on(ring::Ring& r, const ring::Completion& c) {
    if (c.user_data == read_tag) {
      reading = false;
      if (c.res <= 0 || !open) return open = false;  // EOF, or EIO: no peer left
      len = unsigned(c.res);
      off = 0;
      return write(r);
    }
    writing = false;
    if (c.res <= 0 || !open) return open = false;
    off += unsigned(c.res);
    return off < len ? write(r) : read(r);
  }
};

// The loop of a foreground command: signals passed on, the pty copied,
// until `exit` (our child's pidfd, or a daemon's reply) gives the code.
template <class Exit>
Result<int> forward_until_exit(ring::Ring& r, Exit& exit, int signal_fd, int pty_master) {
  const bool pty = pty_master >= 0;
  RawStdin raw(pty);
  signalfd_siginfo si{};
  bool sig_pending = false;
  auto no_sqe = [] { return sys_error(EBUSY, "io_uring: no submission entry"); };
  Pipe in{0, pty_master, kIn, kToPty}, out{pty_master, 1, kPty, kOut};
  if (!exit.arm(r)) return no_sqe();
  if (!(sig_pending = ring::prep_read(r, kSig, signal_fd, &si, sizeof si))) return no_sqe();
  if (pty) {
    copy_window_size(pty_master);
    if (!in.read(r) || !out.read(r)) return no_sqe();
  }
  std::optional<int> code;
  // After the exit, the pty's output is drained until the kernel reports
  // no peer left (EIO), with a deadline for peers that outlive the init.
  auto drain = ring::to_timespec(std::chrono::seconds(1));
  bool drain_timer = false;
  ring::Completion batch[8];
  for (;;) {
    bool out_busy = out.open && (out.reading || out.writing);
    if (code && !out_busy) break;
    if (auto w = r.wait(); !w) return Error{w.error(), "io_uring"};
    unsigned n = r.reap(batch, 8);
    for (unsigned i = 0; i < n; ++i) {
      const auto& c = batch[i];
      switch (c.user_data) {
        case kSig:
          sig_pending = false;
          if (c.res == int(sizeof si)) {
            if (pty && si.ssi_signo == SIGWINCH)
              copy_window_size(pty_master);
            else
              exit.signal(int(si.ssi_signo));
          }
          if (!code && !(sig_pending = ring::prep_read(r, kSig, signal_fd, &si, sizeof si)))
            return no_sqe();
          break;
        case kExit: {
          RINGC_TRY(auto got, exit.on(r, c));
          if (!got) {
            if (!exit.arm(r)) return no_sqe();
            break;
          }
          code = *got;
          if (pty && (drain_timer = ring::prep_timeout(r, kDrain, &drain)) == false)
            return no_sqe();
          break;
        }
        case kIn:
        case kToPty:
          in.on(r, c);
          break;
        case kPty:
        case kOut:
          out.on(r, c);
          break;
        case kDrain:
          drain_timer = false;
          out.open = false;
          break;
        default:
          break;
      }
    }
  }
  // Buffers must outlive their operations: cancel what is in flight and
  // wait for each to complete.
  for (uint64_t tag : {kSig, kIn, kToPty, kPty, kOut, kDrain}) ring::prep_cancel(r, tag);
  auto busy = [&] {
    return sig_pending || in.reading || in.writing || out.reading || out.writing || drain_timer;
  };
  while (busy()) {
    if (auto w = r.wait(); !w) return Error{w.error(), "io_uring"};
    unsigned n = r.reap(batch, 8);
    for (unsigned i = 0; i < n; ++i) {
      switch (batch[i].user_data) {
        case kSig:
          sig_pending = false;
          break;
        case kIn:
          in.reading = false;
          break;
        case kToPty:
          in.writing = false;
          break;
        case kPty:
          out.reading = false;
          break;
        case kOut:
          out.writing = false;
          break;
        case kDrain:
          drain_timer = false;
          break;
        default:
          break;
      }
    }
  }
  return *code;
}

// Our own child: waitid on its pidfd, signals sent to it.
struct ChildExit {
  explicit ChildExit(int fd) : pidfd(fd) {}
  int pidfd;
  siginfo_t info{};
  bool arm(ring::Ring& r) { return ring::prep_exit_wait(r, kExit, pidfd, true, &info); }
  Result<std::optional<int>> on(ring::Ring& r, const ring::Completion& c) {
    if (c.res < 0) return sys_error(-c.res, "wait for exit");
    if (!r.features().waitid) {
      if (int e = sys::waitid_nohang(pidfd, &info); e < 0) return neg_error(e, "waitid");
    }
    return std::optional<int>(exit_code(info));
  }
  void signal(int sig) { sys::pidfd_send_signal(pidfd, sig); }
};

// A daemon's container: the exit is the reply line on fd.
struct ReplyExit {
  explicit ReplyExit(const DaemonWait& d) : w(d) {}
  const DaemonWait& w;
  char buf[4096];
  std::string line;
  bool arm(ring::Ring& r) { return ring::prep_read(r, kExit, w.fd, buf, sizeof buf); }
  Result<std::optional<int>> on(ring::Ring&, const ring::Completion& c) {
    if (c.res < 0) return sys_error(-c.res, "read from daemon");
    if (c.res == 0) return ringc_error(Errc::init_failed, "the daemon closed the connection");
    line.append(buf, size_t(c.res));
    size_t nl = line.find('\n');
    if (nl == std::string::npos) return std::optional<int>();
    RINGC_TRY(int code, w.exit_of(std::string_view(line).substr(0, nl)));
    return std::optional<int>(code);
  }
  void signal(int sig) { w.forward(sig); }
};
}  // namespace

Result<int> await_exit_forwarding(ring::Ring& r, int pidfd, int signal_fd, int pty_master) {
  ChildExit exit(pidfd);
  return forward_until_exit(r, exit, signal_fd, pty_master);
}

Result<int> await_reply_forwarding(ring::Ring& r, const DaemonWait& w, int signal_fd,
                                   int pty_master) {
  ReplyExit exit(w);
  return forward_until_exit(r, exit, signal_fd, pty_master);
}

}  // namespace ringc
