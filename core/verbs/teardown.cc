#include "core/verbs/teardown.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>

#include <fmt/format.h>

#include "cgroup/freezer.h"
#include "cgroup/manager.h"
#include "core/base/sys.h"
#include "core/verbs/waits.h"
#include "ring/ops.h"

namespace ringc {

Result<void> destroy_cgroup(Runtime& rt, std::string_view path) {
  RINGC_TRY(auto host, rt.cgroups());
  std::chrono::milliseconds delay{1};
  for (int attempt = 0;; ++attempt) {
    auto r = cgroup::destroy(*host, path);
    if (r) return outcome::success();
    if (r.error() != std::errc::device_or_resource_busy || attempt == 30)
      return Error{r.error(), fmt::format("remove cgroup {}", path)};
    (void)cgroup::signal_all(*host, path, SIGKILL);
    RINGC_TRY(auto ring, rt.ring());
    RINGC_TRY(ring_delay(*ring, delay));
    delay = std::min(delay * 2, std::chrono::milliseconds(100));
  }
}

Result<void> release_init(Runtime& rt, std::string_view id) {
  std::string fifo = rt.store().fifo(id);
  // Non-blocking: with no reader (init gone) this fails with ENXIO at once.
  int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO || errno == ENOENT)
      return ringc_error(Errc::init_failed,
                         fmt::format("container \"{}\": init is no longer waiting for start", id));
    return sys_error(errno, "open " + fifo);
  }
  RINGC_TRY(auto ring, rt.ring());
  static const char kGo = '1';
  if (!ring::prep_write(*ring, 1, fd, &kGo, 1)) {
    ::close(fd);
    return sys_error(EBUSY, "io_uring: no submission entry");
  }
  auto c = ring->await(1);
  ::close(fd);
  if (!c) return Error{c.error(), "io_uring"};
  if (c.value().res != 1)
    return sys_error(c.value().res < 0 ? -c.value().res : EIO, "write " + fifo);
  ::unlink(fifo.c_str());
  return outcome::success();
}

Result<void> set_frozen(Runtime& rt, std::string_view cgroup_path, bool frozen,
                        std::chrono::milliseconds deadline) {
  RINGC_TRY(auto host, rt.cgroups());
  RINGC_TRY(auto ring, rt.ring());
  auto what = [&](std::string_view op) { return fmt::format("{} cgroup {}", op, cgroup_path); };
  auto events = cgroup::open_events(*host, cgroup_path);
  if (!events) return Error{events.error(), what("open events of")};
  sys::UniqueFd owned(events.value());
  const int fd = owned.get();
  if (auto r = cgroup::request_freeze(*host, cgroup_path, frozen); !r)
    return Error{r.error(), what(frozen ? "freeze" : "thaw")};
  auto until = std::chrono::steady_clock::now() + deadline;
  std::chrono::milliseconds backoff{1};
  for (;;) {
    auto now_frozen = cgroup::is_frozen(*host, cgroup_path);
    if (!now_frozen) {
      return Error{now_frozen.error(), what("read state of")};
    }
    if (now_frozen.value() == frozen) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return ringc_error(Errc::timed_out,
                         fmt::format("cgroup {} not {} after {} ms", cgroup_path,
                                     frozen ? "frozen" : "thawed", deadline.count()));
    }
    if (fd < 0) {  // v1 freezer: no notification, a ring timer instead
      RINGC_TRY(ring_delay(*ring, std::min(backoff, left)));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(50));
      continue;
    }
    auto ts = ring::to_timespec(left);
    if (!ring->reserve(2) || !ring::prep_poll(*ring, 2, fd, POLLPRI | POLLERR) ||
        !ring::link_timeout(*ring, &ts)) {
      return sys_error(EBUSY, "io_uring: no submission entry");
    }
    auto c = ring->await(2);
    if (!c) {
      return Error{c.error(), "io_uring"};
    }
    char buf[256];
    (void)::pread(fd, buf, sizeof buf, 0);  // re-arm the notification
  }
  return outcome::success();
}

Result<void> kill_and_wait(Runtime& rt, int pidfd, std::string_view cgroup_path, bool child) {
  RINGC_TRY(auto host, rt.cgroups());
  if (!cgroup_path.empty()) {
    (void)cgroup::signal_all(*host, cgroup_path, SIGKILL);
    // v1 frozen tasks die only once thawed; harmless when not frozen.
    (void)cgroup::request_freeze(*host, cgroup_path, false);
  }
  if (pidfd < 0) return outcome::success();
  if (int e = sys::pidfd_send_signal(pidfd, SIGKILL); e < 0 && e != -ESRCH)
    return neg_error(e, "kill container init");
  RINGC_TRY(auto ring, rt.ring());
  RINGC_TRY(await_exit(*ring, pidfd, child, rt.kill_timeout));
  return outcome::success();
}

}  // namespace ringc
