#include "core/init/cgroups.h"

#include <fmt/format.h>

namespace ringc {

Result<void> apply_limits(const cgroup::Host& host, const Spec& spec, const std::string& cg,
                          cgroup::Part part, std::optional<int> device_prog) {
  const auto& res = spec.linux_cfg.resources;
  if (res.empty()) return outcome::success();
  auto r = cgroup::apply(host, cg, res, part, device_prog);
  if (!r) {
    const std::string& file = r.error().file;
    // A controller file that is not there: the controller is not enabled
    // for this cgroup (v2: its parent's cgroup.subtree_control; v1: no
    // hierarchy), which says more than "no such file".
    size_t slash = file.rfind('/'), dot = file.find('.', slash == std::string::npos ? 0 : slash);
    if (r.error().code == std::errc::no_such_file_or_directory && slash != std::string::npos &&
        dot != std::string::npos)
      return ringc_error(Errc::bad_spec,
                         fmt::format("set linux.resources: write {}: the {} controller is not "
                                     "available to this cgroup",
                                     file, file.substr(slash + 1, dot - slash - 1)));
    return Error{r.error().code, "set linux.resources: write " + file};
  }
  return outcome::success();
}

Result<void> make_v1_cgroups(const cgroup::Host& host, const Spec& spec, const std::string& cg) {
  if (auto r = cgroup::create(host, cg, cgroup::Part::v1); !r)
    return Error{r.error(), "create cgroup " + cg};
  return apply_limits(host, spec, cg, cgroup::Part::v1);
}

}  // namespace ringc
