// process.terminal: the pty is made inside the container (on its own
// devpts) and its master handed out over a unix socket with SCM_RIGHTS,
// runc's --console-socket protocol.
#pragma once

#include <sys/socket.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/error.h"
#include "core/base/sys.h"
#include "core/spec/spec.h"

namespace ringc {

// The parent's side: connects to the caller's --console-socket (a listening
// unix stream socket) before the init is cloned, which inherits the fd.
Result<sys::UniqueFd> connect_console_socket(const std::string& path);

// Where a process's pty goes: the caller's --console-socket (connected
// now), or back to ringc over a socketpair when ringc stays in the
// foreground to copy it. `init_end` is what the process inherits,
// `ringc_end` where ringc receives the master (foreground only). Without
// a pty a socket is refused (no_pty), and so is a pty with nowhere to go
// (nowhere); the texts are the caller's.
struct ConsoleEnds {
  sys::UniqueFd init_end, ringc_end;
};
Result<ConsoleEnds> console_ends(bool tty, const std::string& socket, bool foreground,
                                 std::string_view no_pty, std::string_view nowhere);

// A stream connection to a unix socket ("@name": abstract); `flags`
// (SOCK_NONBLOCK) go to socket(2); errors say `what` and the path.
Result<sys::UniqueFd> connect_unix(const std::string& path, std::string_view what, int flags = 0);

// The kernel's limit on fds in one message (SCM_MAX_FD).
inline constexpr size_t kMaxSentFds = 253;
// Up to kMaxSentFds fds over a unix socket (SCM_RIGHTS, none when empty)
// with a payload; errors say `what`. `flags` are sendmsg's (MSG_DONTWAIT).
Result<void> send_fds(int sock, std::span<const int> fds, std::string_view payload,
                      std::string_view what, int flags = 0);
inline Result<void> send_fd(int sock, int fd, std::string_view payload, std::string_view what) {
  return send_fds(sock, {&fd, 1}, payload, what);
}
// The fds of a received message's SCM_RIGHTS, into `out` (the rest of it
// untouched); how many there were.
size_t received_fds(const msghdr& msg, std::span<int> out);
// One message into buf and its fds (up to kMaxSentFds, close-on-exec)
// appended to `fds`: its length, 0 at EOF, or -errno.
ssize_t recv_with_fds(int sock, char* buf, size_t len, std::vector<int>& fds);
// The same into `fds` (the first *got of it; more sent are closed),
// allocating nothing.
ssize_t recv_with_fds(int sock, char* buf, size_t len, std::span<int> fds, size_t* got);
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
