// The container's limits written into its cgroups, and its v1
// directories made: by the init itself first thing (core/init/child.cc),
// or by its creator for an init in a user namespace of its own.
#pragma once

#include <optional>
#include <string>

#include "cgroup/layout.h"
#include "cgroup/manager.h"
#include "core/base/error.h"
#include "core/spec/spec.h"

namespace ringc {

// Writes the spec's linux.resources into the `part` hierarchies of cg.
// Limits are in place before anything of the container runs: the init
// writes its v2 ones first thing, or its creator does (a user namespace).
// device_prog: as cgroup::apply takes it.
Result<void> apply_limits(const cgroup::Host& host, const Spec& spec, const std::string& cg,
                          cgroup::Part part, std::optional<int> device_prog = std::nullopt);

// The v1 directories of cg, with the spec's limits written: by the init
// itself, by the parent of a CLI create while the init sets up, or for an
// init in a user namespace of its own.
Result<void> make_v1_cgroups(const cgroup::Host& host, const Spec& spec, const std::string& cg);

}  // namespace ringc
