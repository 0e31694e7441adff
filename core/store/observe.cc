#include "core/store/observe.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/base/sys.h"

namespace ringc {

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // comm may hold spaces and parens: fields resume after the last ')'.
  char* p = std::strrchr(buf, ')');
  if (!p || p[1] == '\0') return std::nullopt;
  p += 2;  // now at field 3 (state)
  ProcStat st;
  st.state = *p;
  // Fields counted as proc(5) counts them, from 1.
  for (int field = 3; p; ++field) {
    if (field == 4) st.ppid = pid_t(std::strtol(p, nullptr, 10));
    if (field == 14) st.cpu_ticks = std::strtoull(p, nullptr, 10);
    if (field == 15) st.cpu_ticks += std::strtoull(p, nullptr, 10);
    if (field == 22) st.start_time = std::strtoull(p, nullptr, 10);
    if (field == 52) {
      st.exit_status = int(std::strtol(p, nullptr, 10));
      break;
    }
    p = std::strchr(p, ' ');
    if (p) ++p;
  }
  return st;
}

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto st = read_proc_stat(pid);
  if (!st || st->exited()) return std::nullopt;
  return st->start_time;
}

std::optional<uint64_t> process_cpu_ticks(pid_t pid) {
  auto st = read_proc_stat(pid);
  if (!st || st->exited()) return std::nullopt;
  return st->cpu_ticks;
}

bool is_alive(const RecordView& r) {
  if (r.pid() <= 0) return false;
  // A zombie nobody has reaped yet (an orphaned init waits for the host's
  // pid 1) has ended: not alive.
  auto st = read_proc_stat(r.pid());
  return st && !st->exited() && st->start_time == r.start_time();
}

fsm::State observed_state(const RecordView& r) {
  fsm::State s = r.status();
  // An intent names its creator: while that lives, the create is under
  // way; once gone, the container is half-made (creating + exited).
  bool live_state = s == fsm::State::created || s == fsm::State::running ||
                    s == fsm::State::paused || s == fsm::State::stopping ||
                    s == fsm::State::creating;
  if (!live_state || is_alive(r)) return s;
  auto t = fsm::apply(s, fsm::Event::exited);
  return t ? t.ok->next : s;
}

int open_pidfd(const RecordView& r, ProcStat* seen) {
  if (r.pid() <= 0 || (r.flags() & kRecordIntent)) return -1;  // no init recorded yet
  int fd = sys::pidfd_open(r.pid());
  if (fd < 0) return -1;
  auto st = read_proc_stat(r.pid());
  if (!st || st->exited() || st->start_time != r.start_time()) {
    ::close(fd);
    return -1;
  }
  if (seen) *seen = *st;
  return fd;
}

namespace {
// PIDFD_GET_INFO (Linux 6.13; PIDFD_INFO_EXIT from 6.15): Debian 12's
// headers predate it. The first 64 bytes of struct pidfd_info.
struct PidfdInfo {
  uint64_t mask = 0, cgroupid = 0;
  uint32_t pid = 0, tgid = 0, ppid = 0, ruid = 0, rgid = 0, euid = 0, egid = 0, suid = 0, sgid = 0,
           fsuid = 0, fsgid = 0;
  int32_t exit_code = 0;
};
static_assert(sizeof(PidfdInfo) == 64);
constexpr uint64_t kPidfdInfoExit = 1u << 3;
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);
}  // namespace

std::optional<int> exit_status_of(pid_t pid, uint64_t start_time, int pidfd) {
  if (auto st = read_proc_stat(pid); st && st->start_time == start_time && st->exited())
    return st->exit_status;
  if (pidfd < 0) return std::nullopt;
  PidfdInfo info;
  info.mask = kPidfdInfoExit;
  if (::ioctl(pidfd, kPidfdGetInfo, &info) == 0 && (info.mask & kPidfdInfoExit))
    return info.exit_code;
  return std::nullopt;
}

int exit_code_of_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace ringc
