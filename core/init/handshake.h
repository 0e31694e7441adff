// The handshake between the runtime and a container's init (or exec's
// setup process), both ways, as typed and versioned messages.
//
// Init → runtime: one HandshakeMsg per datagram on their SOCK_SEQPACKET
// pair. The init sends exactly one of ready (set up, waiting for start)
// or error (why setup failed), then closes. With prestart or
// createRuntime hooks it first sends hooks (set up, before pivot_root)
// and waits for Go::hooks_ran. exec's middle process sends pid: the
// process it cloned into the container. A process whose seccomp filter
// notifies sends seccomp (its listener's fd number) right after loading
// it and waits for Go::seccomp_taken (docs/seccomp-notify.md).
//
// Runtime → init: one Go byte, on the pair or (start of a container that
// `ringc create` made) on the exec fifo. A byte of another kind than the
// one awaited is an error that names both.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/base/error.h"

namespace ringc {

// Bumped when a message's layout or meaning changes: an init of another
// build (a daemon upgraded under a running create) is refused by name.
inline constexpr uint8_t kHandshakeVersion = 2;

enum class MsgKind : uint8_t { ready = 1, error = 2, hooks = 3, pid = 4, seccomp = 5 };
enum class Go : uint8_t {
  mapped = 'm',         // the user namespace's id maps are written
  hooks_ran = 'h',      // prestart and createRuntime ran: go on to pivot_root
  start = 's',          // exec the container's process
  seccomp_taken = 'n',  // the runtime holds the listener: close yours
};
std::string_view name(MsgKind k);
std::string_view name(Go g);

// The child's own setup phases, reported with ready (for --debug).
inline constexpr const char* kChildPhases[] = {"child-cgroup", "child-namespaces", "child-rootfs",
                                               "child-pivot", "child-identity"};
inline constexpr int kChildPhaseCount = 5;

struct HandshakeMsg {
  uint8_t version = kHandshakeVersion;
  MsgKind kind{};
  int32_t err = 0;                           // errno for error, 0 otherwise
  int32_t pid = 0;                           // with pid
  int32_t fd = -1;                           // with seccomp: the listener, in the sender
  uint32_t phase_us[kChildPhaseCount] = {};  // with ready
  char text[480] = {};                       // NUL-terminated message for error
};

// A message of this build.
HandshakeMsg message(MsgKind k);
HandshakeMsg error_message(const Error& e);
// What an error message says, as an Error.
Error error_of(const HandshakeMsg& m);

// Checks a read of `res` bytes into m (res > 0) against the kinds the
// reader waits for: size, version, kind. An error message from the init
// comes back as its own error; anything else unexpected names what was
// expected and what came.
Result<void> check_message(HandshakeMsg& m, ssize_t res, std::initializer_list<MsgKind> expected);

// Sends one message, or one Go byte, on the handshake socket without
// blocking. false: the other side is gone (or not reading).
bool send_message(int sock, const HandshakeMsg& m);
bool send_go(int fd, Go g);
// Go::start with the stdio a run through the daemon brings to a parked
// init (set up before the client came): stdin, stdout and stderr as
// SCM_RIGHTS on the byte's message.
bool send_start_with_stdio(int sock, const int (&stdio)[3]);

// In the init: blocks for the Go byte `want`. EOF (the runtime gave up)
// or a read error: _exit(127), as there is nobody to tell. Another byte:
// the error, naming both.
Result<void> await_go(int fd, Go want);
// Blocks for Go::start, and where the byte brings stdio (a socket,
// send_start_with_stdio) those become fds 0, 1 and 2. EOF or a read
// error: _exit(127). nullptr, or what went wrong (a constant; errno
// set where a call failed). Allocates nothing: an init cloned in its
// engine's memory may be killed anywhere after its start and must hold
// no lock of malloc's then (core/spawn/shared_clone.h).
const char* await_start(int fd);

// In a container's process, right after its filter is loaded with a
// listener: tells the runtime the listener's number with write(2) (the
// one call no notify rule may name: nobody could answer it yet), waits
// until the runtime has taken a copy (pidfd_getfd) for the agent, then
// closes its own, so that nothing in the container can answer its
// syscalls. Calls the filter notifies meanwhile wait for the agent.
Result<void> hand_over_listener(int sock, int listener);

// Starts the init of a container that `ringc create` made: Go::start into
// its exec fifo without blocking (the init holds it open for reading;
// with no reader the open fails at once), then removes the fifo.
Result<void> release_by_fifo(const std::string& fifo, std::string_view id);

}  // namespace ringc
