// In-child process attributes: rlimits, user and groups, capabilities,
// no_new_privs, and finding the program to exec.
#pragma once

#include <string>

#include "core/error.h"
#include "core/spec.h"

namespace ringc {

Result<void> apply_rlimits(const Process& p);
Result<void> apply_oom_score_adj(const Process& p);
// Bounding set, then uid/gid/groups (keeping caps across setuid), then the
// remaining capability sets and the ambient ones.
Result<void> apply_identity(const Process& p);
// args[0] resolved against PATH from the process env (like execvp, but the
// error text says which: "executable file not found in $PATH").
Result<std::string> find_executable(const Process& p);

}  // namespace ringc
