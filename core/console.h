// process.terminal: the pty is made inside the container (on its own
// devpts) and its master handed out over a unix socket with SCM_RIGHTS,
// runc's --console-socket protocol.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/spec.h"
#include "core/sys.h"

namespace ringc {

// The parent's side: connects to the caller's --console-socket (a listening
// unix stream socket) before the init is cloned, which inherits the fd.
Result<sys::UniqueFd> connect_console_socket(const std::string& path);

// One fd over a unix socket (SCM_RIGHTS) with a short payload; errors
// say `what`.
Result<void> send_fd(int sock, int fd, std::string_view payload, std::string_view what);
// --pidfd-socket (runc 1.2): connects to the caller's socket and sends the
// process's pidfd. Nothing when the path is empty.
Result<void> send_pidfd(const std::string& socket_path, int pidfd);

// In the init, after pivot_root: opens a pty on the container's /dev/ptmx,
// sets consoleSize, sends the master over `sock`, then makes the peer the
// controlling terminal and stdin/stdout/stderr, owned by the process's user.
Result<void> setup_console(int sock, const Process& p);

// Receives an fd sent over `sock` (the pty master: already queued, since
// the init sends it before it reports ready, so by default this does not
// wait), and the message's payload when asked.
Result<sys::UniqueFd> receive_fd(int sock, std::string* payload = nullptr, bool wait = false);

}  // namespace ringc
