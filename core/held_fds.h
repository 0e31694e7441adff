// Fds the engine holds for the runs to come, one per open file
// description: a client that starts many containers with the same stdio
// (one terminal, one pipe) costs the daemon a few fds, not three per
// container. Opens of /dev/null with the same access mode count as one.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/sys.h"

namespace ringc {

using SharedFd = std::shared_ptr<const sys::UniqueFd>;

class HeldFds {
 public:
  // fd itself, or the one already held for the same open file description
  // (fd is then closed once the caller lets go of it).
  SharedFd hold(SharedFd fd);
  // Open file descriptions held (for tests and stats).
  size_t size() const;
  // Forgets what nothing holds any more.
  void sweep();

 private:
  void prune(uint64_t key);
  unsigned holds_ = 0;  // every so many, every key is pruned
  std::unordered_map<uint64_t, std::vector<std::weak_ptr<const sys::UniqueFd>>> by_inode_;
};

}  // namespace ringc
