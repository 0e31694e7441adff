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

// Calls f(line) for each line of text, without the newline.
template <class F>
void for_each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    size_t nl = text.find('\n');
    f(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  }
}

}  // namespace ringc::cgroup
