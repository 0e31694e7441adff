#include "core/verbs/host_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/base/sys.h"
#include "core/verbs/waits.h"
#include "ring/ops.h"

namespace ringc {

Result<std::string> run_capture(Runtime& rt, const std::string& shell_command) {
  RINGC_TRY(auto ring, rt.ring());
  int out[2];
  if (::pipe2(out, O_CLOEXEC) < 0) return sys_error(errno, "pipe");
  int pidfd = -1;
  pid_t pid = sys::fork_pidfd(&pidfd);
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    return neg_error(pid, "clone3");
  }
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::execl("/bin/sh", "sh", "-c", shell_command.c_str(), nullptr);
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[8192];
  for (;;) {
    if (!ring::prep_read(*ring, 1, out[0], buf, sizeof buf)) break;
    auto c = ring->await(1);
    if (!c || c.value().res <= 0) break;
    text.append(buf, size_t(c.value().res));
  }
  ::close(out[0]);
  auto code = await_exit(*ring, pidfd, true, std::chrono::seconds(30));
  ::close(pidfd);
  if (!code) return code.error();
  if (code.value() != 0)
    return ringc_error(Errc::bad_usage,
                       fmt::format("{}: exit status {}", shell_command, code.value()));
  return text;
}

}  // namespace ringc
