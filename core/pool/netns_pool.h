// Warm network namespaces for the engine (issue 21): made ahead, held
// open by fd, and given back by containers that exited when nothing of
// theirs is left in them. A new network namespace costs the kernel more
// than anything else a container makes (its creation, and its teardown
// in a kernel worker); an init of a poolable spec joins a pooled one
// (setns) instead of making its own.
//
// The rule, all of it needed:
// - what a container may share (unpoolable): a new network namespace and
//   a new pid namespace (all its processes die with its init), no user
//   namespace, none of CAP_NET_ADMIN, CAP_NET_RAW and CAP_SYS_ADMIN in
//   any capability set, /proc/sys read-only, no net.* sysctl and no
//   hooks (a hook may configure the namespace);
// - what is taken back (dirty): only `lo`, down, its counters zero, and no
//   socket of any family left in the namespace (a TIME_WAIT, a socket
//   passed out of the container). Anything else is closed, and the kernel
//   destroys it as ever.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/base/sys.h"
#include "core/spec/spec.h"

namespace ringc {

// Why containers of this spec may not share a pooled namespace, or
// nothing: they may.
std::optional<std::string> unpoolable(const Spec& spec);

// A new network namespace, made by this thread (unshare, then back to
// `home`, this thread's own).
Result<sys::UniqueFd> make_netns(int home);
// What a container left in the namespace, or nothing: it is as made.
// Enters it for the reads (/proc/thread-self/net) and comes back to home.
std::optional<std::string> netns_dirty(int netns, int home);

struct NetnsPoolStats {
  uint64_t hits = 0;       // taken warm
  uint64_t misses = 0;     // made on demand: none was warm
  uint64_t recycled = 0;   // given back clean
  uint64_t discarded = 0;  // given back dirty (or beyond the pool's size): closed
  std::string last_discard;
};

class NetnsPool {
 public:
  explicit NetnsPool(unsigned size) : size_(size) {}
  unsigned size() const { return size_; }
  size_t warm() const { return free_.size(); }
  // Makes namespaces until `size` are warm.
  Result<void> fill();
  // A warm one, or one made now.
  Result<sys::UniqueFd> take();
  // A container's namespace after its init exited: kept when clean and
  // there is room, else closed.
  void give(sys::UniqueFd netns);
  const NetnsPoolStats& stats() const { return stats_; }

 private:
  Result<void> open_home();
  unsigned size_;
  std::vector<sys::UniqueFd> free_;
  sys::UniqueFd home_;
  NetnsPoolStats stats_;
};

}  // namespace ringc
