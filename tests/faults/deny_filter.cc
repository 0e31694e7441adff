#include "tests/faults/deny_filter.h"

#include <seccomp.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

namespace ringc::faults {

namespace {
std::vector<std::string> expand(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    if (name == "mount-api") {
      for (const char* n :
           {"open_tree", "move_mount", "mount_setattr", "fsopen", "fsconfig", "fsmount", "fspick"})
        out.emplace_back(n);
    } else if (!name.empty()) {
      out.emplace_back(name);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}
}  // namespace

int deny_syscalls(std::string_view comma_list, int err) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return -ENOMEM;
  // No no_new_privs: what runs under it must behave as it would without.
  int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
  for (const std::string& c : expand(comma_list)) {
    if (r < 0) break;
    int nr = seccomp_syscall_resolve_name(c.c_str());
    r = nr == __NR_SCMP_ERROR ? -EINVAL
                              : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(uint16_t(err)), nr, 0);
  }
  if (r >= 0) r = seccomp_load(ctx);
  seccomp_release(ctx);
  return r < 0 ? r : 0;
}

}  // namespace ringc::faults
