#include "cgroup/layout.h"

#include <fstream>
#include <sstream>

namespace ringc::cgroup {

std::string_view name(Layout l) {
  switch (l) {
    case Layout::unified: return "unified";
    case Layout::hybrid: return "hybrid";
    case Layout::legacy: return "legacy";
  }
  return "?";
}

const Hierarchy* Host::v2() const {
  for (auto& h : hierarchies)
    if (h.v2) return &h;
  return nullptr;
}

const Hierarchy* Host::v1(std::string_view controller) const {
  for (auto& h : hierarchies) {
    if (h.v2) continue;
    std::string_view c = h.controllers;
    while (!c.empty()) {
      size_t comma = c.find(',');
      if (c.substr(0, comma) == controller) return &h;
      if (comma == std::string_view::npos) break;
      c.remove_prefix(comma + 1);
    }
  }
  return nullptr;
}

Host parse_mountinfo(std::string_view text) {
  Host host;
  std::istringstream in{std::string(text)};
  std::string line;
  bool root_v2 = false;
  while (std::getline(in, line)) {
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    size_t dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream pre(line.substr(0, dash)), post(line.substr(dash + 3));
    std::string id, parent, dev, root, mnt, fstype, source, super;
    pre >> id >> parent >> dev >> root >> mnt;
    post >> fstype >> source >> super;
    if (fstype == "cgroup2") {
      if (host.v2()) continue;
      host.hierarchies.insert(host.hierarchies.begin(), {mnt, "", true});
      root_v2 = mnt == "/sys/fs/cgroup";
    } else if (fstype == "cgroup") {
      std::string ctrls;
      std::istringstream opts(super);
      for (std::string o; std::getline(opts, o, ',');) {
        if (o == "rw" || o == "ro" || o.starts_with("release_agent") || o == "clone_children" ||
            o == "noprefix" || o == "xattr" || o == "cpuset_v2_mode")
          continue;
        if (!ctrls.empty()) ctrls += ',';
        ctrls += o;
      }
      bool dup = false;
      for (auto& h : host.hierarchies) dup |= !h.v2 && h.controllers == ctrls;
      if (!dup) host.hierarchies.push_back({mnt, ctrls, false});
    }
  }
  bool any_v1 = false;
  for (auto& h : host.hierarchies) any_v1 |= !h.v2;
  if (root_v2 && !any_v1) host.layout = Layout::unified;
  else if (host.v2()) host.layout = Layout::hybrid;
  else host.layout = Layout::legacy;
  return host;
}

Result<const Host*> detect() {
  static Host host;
  static bool done = false;
  if (!done) {
    std::ifstream in("/proc/self/mountinfo");
    if (!in) return std::error_code(errno, std::generic_category());
    std::stringstream ss;
    ss << in.rdbuf();
    host = parse_mountinfo(ss.str());
    done = true;
  }
  return &host;
}

}  // namespace ringc::cgroup
