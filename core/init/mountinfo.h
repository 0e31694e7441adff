// This process's mount table (/proc/self/mountinfo), for the rare setup
// steps that must know which mount holds a path: a shared or non-recursive
// rootfsPropagation, and --no-pivot. The hot path never reads it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/error.h"

namespace ringc {

struct MountEntry {
  int id = 0, parent = 0;
  std::string point;    // unescaped (mountinfo writes a space as \040)
  std::string fstype;   // "proc", "sysfs", "ext4", ...
  bool shared = false;  // in a peer group ("shared:N" among the optional fields)
};

Result<std::vector<MountEntry>> read_mountinfo();
// The text of one line, parsed (exposed for the unit tests).
bool parse_mountinfo_line(std::string_view line, MountEntry& out);
// Whether `path` is `dir` or lies below it, comparing whole components.
bool path_within(std::string_view path, std::string_view dir);

}  // namespace ringc
