// A helper process that clones containers' inits for the engine, so that
// the reactor's thread neither pays for clone3 nor copies its own address
// space (which grows with every container it supervises) into each init.
//
// The engine forks it once, while its heap is small. Each request names
// a container (id, bundle, cgroup); the helper reads the bundle itself,
// clones the init with CLONE_PARENT (so the init is the engine's child:
// its exit is the engine's to wait for and reap) and answers with the pid,
// and the pidfd and handshake socket as SCM_RIGHTS. Requests and replies
// are SOCK_SEQPACKET messages, answered in order.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

#include "core/base/error.h"
#include "core/spawn/spawn.h"

namespace ringc {

// Bumped when a request's or reply's layout changes.
inline constexpr uint8_t kSpawnVersion = 2;

// A request: this head, then the id, bundle, cgroup path and env_count
// entries of extra environment, each NUL-terminated; the console fd (with
// kConsole), a pooled network namespace to join (with kNetns) and the
// passed fds go along as SCM_RIGHTS, in that order.
struct SpawnRequestHead {
  enum Bits : uint8_t {
    kNoPivot = 1,
    kNoNewKeyring = 2,
    kPassedStdio = 4,
    kConsole = 8,
    kParked = 16,
    kNetns = 32
  };
  uint8_t version = kSpawnVersion;
  uint8_t bits = 0;
  uint16_t env_count = 0;
  uint32_t preserve_fds = 0;
  uint64_t token = 0;  // echoed in the reply
};

// The answer to one request, with the init's pidfd and handshake socket
// as SCM_RIGHTS when it was cloned. A request the helper cannot read
// (another version, cut short) is answered with pid -1 and why.
struct SpawnReply {
  uint8_t version = kSpawnVersion;
  uint64_t token = 0;
  int32_t pid = -1;  // -1 on failure
  int32_t err = 0;   // errno of the failure, or 0
  char text[480] = {};
};

class Spawner {
 public:
  Spawner() = default;
  Spawner(const Spawner&) = delete;
  Spawner& operator=(const Spawner&) = delete;
  ~Spawner();

  // Forks the helper. Its end of the socket is the only fd it keeps.
  Result<void> start();
  bool running() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  pid_t pid() const { return pid_; }
  // Queues one request (SpawnRequestHead) without blocking; false when the
  // socket is full or the helper is gone (the caller clones the init
  // itself).
  bool send(uint64_t token, std::string_view bundle, std::string_view cgroup,
            const InitOptions& init);
  // The helper went away: later spawns are the caller's own.
  void stopped();

 private:
  int fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace ringc
