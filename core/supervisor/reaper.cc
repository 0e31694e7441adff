#include "core/supervisor/reaper.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/store/observe.h"

namespace ringc {

namespace {
volatile sig_atomic_t g_daemon = 0;
volatile sig_atomic_t g_stopping = 0;

// SIGTERM and SIGINT are the daemon's: passed on, and it stops for good.
void forward(int sig) {
  g_stopping = 1;
  if (g_daemon > 0) ::kill(pid_t(g_daemon), sig);
}

int wait_status(const siginfo_t& si) {
  if (si.si_code == CLD_EXITED) return (si.si_status & 0xff) << 8;
  return si.si_status & 0x7f;  // killed or dumped: the signal
}

// The exits told, the last kKeep of them: each daemon started gets all of
// them, since one that dies takes what it had not read yet along. (A daemon
// drops those that name no container it adopts.) The socket is a stream:
// a record may go out in part, and the next daemon gets it again whole.
class Outbox {
 public:
  static constexpr size_t kKeep = 1 << 16;  // 1 MiB

  void push(ReapedExit e) {
    log_.push_back(e);
    if (log_.size() < 2 * kKeep) return;
    size_t drop = log_.size() - kKeep;
    log_.erase(log_.begin(), log_.begin() + long(drop));
    sent_ = sent_ > drop * sizeof(ReapedExit) ? sent_ - drop * sizeof(ReapedExit) : 0;
  }
  void new_socket() { sent_ = 0; }
  // Writes what the socket takes (all of it unless nonblocking); false
  // when the daemon's end is gone.
  bool flush(int fd, bool nonblocking) {
    while (sent_ < log_.size() * sizeof(ReapedExit)) {
      const char* p = reinterpret_cast<const char*>(log_.data()) + sent_;
      size_t len = log_.size() * sizeof(ReapedExit) - sent_;
      ssize_t n = ::send(fd, p, len, MSG_NOSIGNAL | (nonblocking ? MSG_DONTWAIT : 0));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno == EAGAIN;
      sent_ += size_t(n);
    }
    return true;
  }

 private:
  std::vector<ReapedExit> log_;
  size_t sent_ = 0;  // bytes of log_ the current socket has
};

// Reaps until the daemon itself exits, writing each orphan's exit to it;
// returns how the daemon ended.
siginfo_t reap_until(pid_t daemon, int fd, Outbox& out) {
  bool connected = true;
  for (;;) {
    siginfo_t si{};
    if (::waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0) {
      if (errno == EINTR) continue;
      siginfo_t none{};
      none.si_code = CLD_EXITED;
      none.si_status = 1;
      return none;
    }
    // An orphan is read while still a zombie: its start time lets the
    // daemon tell it from a process that reuses the pid later.
    uint64_t start_time = 0;
    if (si.si_pid != daemon)
      if (auto st = read_proc_stat(si.si_pid)) start_time = st->start_time;
    siginfo_t done{};
    ::waitid(P_PID, id_t(si.si_pid), &done, WEXITED);
    if (si.si_pid == daemon) return done;
    out.push({si.si_pid, wait_status(done), start_time});
    if (connected) connected = out.flush(fd, false);
  }
}
}  // namespace

ReaperRole run_reaper() {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  struct sigaction sa {};
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  pid_t self = ::getpid();
  Outbox out;
  int quick_deaths = 0;
  for (;;) {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
      std::fprintf(stderr, "ringc daemon: socketpair: %s\n", std::strerror(errno));
      return {false, -1, 1};
    }
    int big = 4 << 20;
    (void)::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
    // Exits that came while no daemon ran are in the socket before it
    // starts: it reads them as it recovers, before adopting.
    out.new_socket();
    (void)out.flush(sv[0], true);
    // SIGTERM and SIGINT wait until g_daemon names the child: one sent as
    // soon as the daemon says it listens is passed on, not lost.
    sigset_t stop, was;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    ::sigprocmask(SIG_BLOCK, &stop, &was);
    pid_t d = ::fork();
    if (d < 0) {
      ::sigprocmask(SIG_SETMASK, &was, nullptr);
      std::fprintf(stderr, "ringc daemon: fork: %s\n", std::strerror(errno));
      return {false, -1, 1};
    }
    if (d == 0) {
      ::close(sv[0]);
      sa.sa_handler = SIG_DFL;
      ::sigaction(SIGTERM, &sa, nullptr);
      ::sigaction(SIGINT, &sa, nullptr);
      ::sigprocmask(SIG_SETMASK, &was, nullptr);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a killed reaper takes its daemon along
      if (::getppid() != self) ::_exit(1);
      return {true, sv[1], 0};
    }
    ::close(sv[1]);
    g_daemon = d;
    ::sigprocmask(SIG_SETMASK, &was, nullptr);
    auto began = std::chrono::steady_clock::now();
    siginfo_t how = reap_until(d, sv[0], out);
    g_daemon = 0;
    ::close(sv[0]);
    if (how.si_code == CLD_EXITED) return {false, -1, how.si_status};
    if (g_stopping) return {false, -1, 128 + how.si_status};
    // A crash: started again, unless it cannot stay up.
    bool quick = std::chrono::steady_clock::now() - began < std::chrono::seconds(2);
    quick_deaths = quick ? quick_deaths + 1 : 0;
    if (quick_deaths >= 5) {
      std::fprintf(stderr,
                   "ringc daemon: died %d times within 2 s of starting (signal %d); not started "
                   "again\n",
                   quick_deaths, how.si_status);
      return {false, -1, 128 + how.si_status};
    }
    std::fprintf(stderr, "ringc daemon: pid %d killed by signal %d (%s); starting it again\n", d,
                 how.si_status, strsignal(how.si_status));
  }
}

}  // namespace ringc
