// Reading and writing the small text files of cgroupfs (and /proc). Plain
// syscalls; errors as -errno, no policy.
#pragma once

#include <string>
#include <string_view>

namespace ringc::cgroup {

// The whole file, or -errno in err (then the result is empty).
std::string read_text(const std::string& path, int* err = nullptr);
// One write of data; 0 or -errno.
int write_text(const std::string& path, std::string_view data);

}  // namespace ringc::cgroup
