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

struct SpawnReply {
  uint64_t token;
  int32_t pid;  // -1 on failure
  int32_t err;  // errno of the failure, or 0
  char text[480];
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
  // Queues one request without blocking; false when the socket is full or
  // the helper is gone (the caller clones the init itself). The request is
  // the token (echoed in the reply), then id, bundle and cgroup path, each
  // NUL-terminated, then what `init` adds to the spec (runc's flags: a
  // bits byte, preserve_fds as 4 bytes, extra_env NUL-terminated), its
  // console fd and passed fds going along as SCM_RIGHTS.
  bool send(uint64_t token, std::string_view bundle, std::string_view cgroup,
            const InitOptions& init);
  // The helper went away: later spawns are the caller's own.
  void stopped();

 private:
  int fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace ringc
