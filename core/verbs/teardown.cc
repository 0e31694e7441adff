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
