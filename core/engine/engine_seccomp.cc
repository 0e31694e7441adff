// The runtime's side of runc's seccomp agent protocol: a process whose
// filter notifies reports its listener's fd number right after loading it
// (handshake.h, hand_over_listener) and waits. The engine copies the fd
// out of it with pidfd_getfd, connects to linux.seccomp.listenerPath and
// sends the ContainerProcessState JSON with the copy as SCM_RIGHTS in one
// message, closes its copy, and lets the process go on (Go::seccomp_taken),
// which then closes its own. docs/seccomp-notify.md.
//
// All of it is done at once on the reactor's thread: the connect is
// non-blocking (an agent whose backlog is full is refused, not waited
// for) and the message is small.
#include <sys/socket.h>

#include <fmt/format.h>

#include "core/base/sys.h"
#include "core/engine/engine.h"
#include "core/hooks/hooks.h"
#include "core/init/console.h"
#include "core/init/handshake.h"

namespace ringc {

Result<void> Engine::give_listener(uint32_t i, const Spec& spec, int pidfd, pid_t pid, int fd,
                                   std::string_view status, int sock) {
  const Slot& s = slots_[i];
  if (!spec.linux_cfg.seccomp || spec.linux_cfg.seccomp->listener_path.empty())
    return ringc_error(Errc::init_failed,
                       "seccomp: a process reported a listener its profile has no agent for");
  const Seccomp& sc = *spec.linux_cfg.seccomp;
  int got = sys::pidfd_getfd(pidfd, fd);
  if (got < 0)
    return neg_error(
        got, fmt::format("seccomp: take the listener of process {} (pidfd_getfd, Linux 5.6)", pid));
  sys::UniqueFd copy(got);
  auto agent = connect_unix(sc.listener_path, "seccomp agent", SOCK_NONBLOCK);
  if (!agent)
    return sys_error(agent.error().err(),
                     fmt::format("failed to connect with seccomp agent specified in the seccomp "
                                 "profile (linux.seccomp.listenerPath \"{}\")",
                                 sc.listener_path));
  std::string state = hook_state(spec.oci_version, s.id, status, s.pid,
                                 s.prepared ? s.prepared->bundle : std::string(), spec.annotations);
  RINGC_TRY(send_fd(agent.value().get(), copy.get(),
                    container_process_state(spec.oci_version, pid, sc.listener_metadata, state),
                    "send the seccomp listener to " + sc.listener_path));
  if (!send_go(sock, Go::seccomp_taken))
    return sys_error(errno ? errno : EPIPE, "seccomp: the process no longer waits for its agent");
  return outcome::success();
}

}  // namespace ringc
