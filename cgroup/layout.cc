#include "cgroup/layout.h"

#include "cgroup/files.h"

#include <fcntl.h>

namespace ringc::cgroup {

std::string_view name(Layout l) {
  switch (l) {
    case Layout::unified:
      return "unified";
    case Layout::hybrid:
      return "hybrid";
    case Layout::legacy:
      return "legacy";
  }
  return "?";
}

const Hierarchy* Host::v2() const {
  for (auto& h : hierarchies)
    if (h.v2) return &h;
  return nullptr;
}

const Hierarchy* Host::v1(std::string_view controller) const {
  for (auto& h : hierarchies)
    if (!h.v2 && h.has(controller)) return &h;
  return nullptr;
}

namespace {
// The n-th space-separated field of line (0-based).
std::string_view field(std::string_view line, int n) {
  size_t pos = 0;
  for (int i = 0; i < n; ++i) {
    pos = line.find(' ', pos);
    if (pos == std::string_view::npos) return {};
    ++pos;
  }
  return line.substr(pos, line.find(' ', pos) - pos);
}
}  // namespace

Host parse_mountinfo(std::string_view text) {
  Host host;
  bool root_v2 = false;
  for_each_line(text, [&](std::string_view line) {
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) return;
    std::string_view mnt = field(line, 4), post = line.substr(dash + 3);
    std::string_view fstype = field(post, 0), super = field(post, 2);
    if (fstype == "cgroup2") {
      if (host.v2()) return;
      host.hierarchies.insert(host.hierarchies.begin(), {std::string(mnt), "", true});
      root_v2 = mnt == "/sys/fs/cgroup";
    } else if (fstype == "cgroup") {
      std::string ctrls;
      while (!super.empty()) {
        size_t comma = super.find(',');
        std::string_view o = super.substr(0, comma);
        super.remove_prefix(comma == std::string_view::npos ? super.size() : comma + 1);
        if (o == "rw" || o == "ro" || o.starts_with("release_agent") || o == "clone_children" ||
            o == "noprefix" || o == "xattr" || o == "cpuset_v2_mode" || o == "favordynmods")
          continue;
        if (!ctrls.empty()) ctrls += ',';
        ctrls += o;
      }
      bool dup = false;
      for (auto& h : host.hierarchies) dup |= !h.v2 && h.controllers == ctrls;
      if (!dup) host.hierarchies.push_back({std::string(mnt), ctrls, false});
    }
  });
  bool any_v1 = false;
  for (auto& h : host.hierarchies) any_v1 |= !h.v2;
  if (root_v2 && !any_v1)
    host.layout = Layout::unified;
  else if (host.v2())
    host.layout = Layout::hybrid;
  else
    host.layout = Layout::legacy;
  return host;
}

Result<const Host*> detect() {
  static Host host;
  static bool done = false;
  if (!done) {
    int err = 0;
    std::string text = read_text("/proc/self/mountinfo", &err);
    if (err < 0) return std::error_code(-err, std::generic_category());
    host = parse_mountinfo(text);
    done = true;
  }
  return &host;
}

const Host& of(const Host& host, std::string_view path) {
  if (!path.empty()) return host;
  static const Host none[] = {{Layout::unified, {}}, {Layout::hybrid, {}}, {Layout::legacy, {}}};
  return none[int(host.layout)];
}

bool has_controller(const Host& host, std::string_view controller) {
  if (host.layout != Layout::unified) return host.v1(controller == "io" ? "blkio" : controller);
  std::string on = " ";
  on += read_text(host.v2()->mount + "/cgroup.controllers");
  on += ' ';
  for (char& c : on)
    if (c == '\n') c = ' ';
  std::string word = " ";
  word += controller;
  word += ' ';
  return on.find(word) != std::string::npos;
}

}  // namespace ringc::cgroup
