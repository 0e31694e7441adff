#include "cgroup/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace ringc::cgroup {

std::string read_text(const std::string& path, int* err) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (err) *err = -errno;
    return out;
  }
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, size_t(n));
  if (err) *err = n < 0 ? -errno : 0;
  ::close(fd);
  return out;
}

int write_text(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = ::write(fd, data.data(), data.size());
  int e = n < 0 ? -errno : 0;
  ::close(fd);
  return e;
}

}  // namespace ringc::cgroup
