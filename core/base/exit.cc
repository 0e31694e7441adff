#include "core/base/exit.h"

#include <cerrno>

#include "core/base/sys.h"
#include "ring/ops.h"

namespace ringc {

namespace {
constexpr uint64_t kOp = 1;
}  // namespace

int exit_code(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

Result<int> await_exit(ring::Ring& r, int pidfd, bool child, std::chrono::milliseconds deadline) {
  siginfo_t info{};
  auto ts = ring::to_timespec(deadline);
  if (!r.reserve(2) || !ring::prep_exit_wait(r, kOp, pidfd, child, &info) ||
      !ring::link_timeout(r, &ts))
    return sys_error(EBUSY, "io_uring: no submission entry");
  auto c = r.await(kOp);
  if (!c) return Error{c.error(), "io_uring"};
  int res = c.value().res;
  if (res == -ECANCELED) return ringc_error(Errc::timed_out, "process did not exit in time");
  if (res < 0) return sys_error(-res, "wait for exit");
  if (!child) return -1;
  if (!r.features().waitid) {  // polled: reap now, it has exited
    if (int e = sys::waitid_nohang(pidfd, &info); e < 0) return neg_error(e, "waitid");
  }
  return exit_code(info);
}

}  // namespace ringc
