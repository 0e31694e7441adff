// The host's cgroup layout, detected once per process.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/outcome.hpp>

namespace ringc::cgroup {

namespace outcome = BOOST_OUTCOME_V2_NAMESPACE;
template <class T>
using Result = outcome::result<T, std::error_code, outcome::policy::terminate>;

enum class Layout {
  unified,  // /sys/fs/cgroup is cgroup2
  hybrid,   // v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified
  legacy,   // v1 only
};
std::string_view name(Layout l);

struct Hierarchy {
  std::string mount;        // e.g. /sys/fs/cgroup/memory
  std::string controllers;  // v1 super options, e.g. "memory" or "name=systemd"; "" for v2
  bool v2 = false;

  // Calls f(controller) for each of `controllers` until it returns false;
  // false when one did.
  template <class F>
  bool each_controller(F&& f) const {
    std::string_view c = controllers;
    while (!c.empty()) {
      size_t comma = c.find(',');
      if (!f(c.substr(0, comma))) return false;
      if (comma == std::string_view::npos) break;
      c.remove_prefix(comma + 1);
    }
    return true;
  }
  bool has(std::string_view controller) const {
    return !each_controller([&](std::string_view one) { return one != controller; });
  }
};

struct Host {
  Layout layout = Layout::legacy;
  std::vector<Hierarchy> hierarchies;  // the v2 one (if any) first

  const Hierarchy* v2() const;
  const Hierarchy* v1(std::string_view controller) const;
};

// Whether a container's cgroup on this host gets the controller: its v1
// hierarchy, or on a unified host the v2 root's cgroup.controllers ("io"
// is v1's "blkio").
bool has_controller(const Host& host, std::string_view controller);

// Reads /proc/self/mountinfo; the result is cached for the process.
Result<const Host*> detect();

// The hierarchies a container's cgroup lives in: `host`'s, or none for a
// container without a cgroup (its path is empty: a rootless one whose
// user has no delegated subtree; docs/rootless.md). The empty one has
// host's layout.
const Host& of(const Host& host, std::string_view path);
// Parses mountinfo text (exposed for tests).
Host parse_mountinfo(std::string_view text);

}  // namespace ringc::cgroup
