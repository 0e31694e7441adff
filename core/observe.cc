#include "core/observe.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/sys.h"

namespace ringc {

namespace {
// Fields `first` and `first + 1` of /proc/<pid>/stat (1-based, as proc(5)
// counts them); nullopt when the process is gone or a zombie.
std::optional<std::pair<uint64_t, uint64_t>> stat_fields(pid_t pid, int first) {
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
  if (*p == 'Z' || *p == 'X') return std::nullopt;
  for (int field = 3; field < first; ++field) {
    p = std::strchr(p, ' ');
    if (!p) return std::nullopt;
    ++p;
  }
  char* end = nullptr;
  uint64_t a = std::strtoull(p, &end, 10);
  return std::pair{a, std::strtoull(end, nullptr, 10)};
}
}  // namespace

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto f = stat_fields(pid, 22);
  if (!f) return std::nullopt;
  return f->first;
}

std::optional<uint64_t> process_cpu_ticks(pid_t pid) {
  auto f = stat_fields(pid, 14);  // utime, stime
  if (!f) return std::nullopt;
  return f->first + f->second;
}

bool is_alive(const RecordView& r) {
  if (r.pid() <= 0) return false;
  auto st = process_start_time(r.pid());
  return st && *st == r.start_time();
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

int open_pidfd(const RecordView& r) {
  if (r.pid() <= 0 || (r.flags() & kRecordIntent)) return -1;  // no init recorded yet
  int fd = sys::pidfd_open(r.pid());
  if (fd < 0) return -1;
  if (!is_alive(r)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace ringc
