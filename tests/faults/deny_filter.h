// A seccomp filter that makes the named system calls fail with err, for
// this process and everything it starts (tests/faults/deny.cc, and priv
// tests that start ringc under it). Names are system calls or the group
// `mount-api`. 0, or -errno (-EINVAL: an unknown name).
#pragma once

#include <string_view>

namespace ringc::faults {

int deny_syscalls(std::string_view comma_list, int err);

}  // namespace ringc::faults
