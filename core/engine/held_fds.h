// Fds the engine holds for the runs to come, one per open file
// description: a client that starts many containers with the same stdio
// (one terminal, one pipe) costs the daemon a few fds, not three per
// container. Opens of /dev/null with the same access mode count as one.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "core/base/sys.h"

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
  using Inode = std::pair<dev_t, ino_t>;
  void prune(Inode key);
  unsigned holds_ = 0;  // every so many, every inode is pruned
  std::map<Inode, std::vector<std::weak_ptr<const sys::UniqueFd>>> by_inode_;
};

}  // namespace ringc
