#include "cgroup/freezer.h"

#include "cgroup/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace ringc::cgroup {

namespace {
std::error_code errno_code(int e = errno) {
  return {e, std::generic_category()};
}

Result<std::string> read_file(const std::string& path) {
  int err = 0;
  std::string text = read_text(path, &err);
  if (err < 0) return errno_code(-err);
  return text;
}

Result<void> write_file(const std::string& path, std::string_view v) {
  if (int r = write_text(path, v); r < 0) return errno_code(-r);
  return outcome::success();
}

// Where a v1 freezer hierarchy is mounted (hybrid and legacy hosts), it is
// the one: podman, containerd and cAdvisor read freezer.state there, and a
// freeze through the hybrid unified mount leaves it THAWED.
const Hierarchy* v1_freezer(const Host& host) {
  return host.v1("freezer");
}
const Hierarchy* v2_freezer(const Host& host) {
  return v1_freezer(host) ? nullptr : host.v2();
}
}  // namespace

Result<void> request_freeze(const Host& host, std::string_view path, bool frozen) {
  if (const Hierarchy* h = v2_freezer(host))
    return write_file(h->mount + std::string(path) + "/cgroup.freeze", frozen ? "1" : "0");
  if (const Hierarchy* h = v1_freezer(host))
    return write_file(h->mount + std::string(path) + "/freezer.state",
                      frozen ? "FROZEN" : "THAWED");
  return errno_code(ENOTSUP);
}

Result<bool> is_frozen(const Host& host, std::string_view path) {
  if (const Hierarchy* h = v2_freezer(host)) {
    auto text = read_file(h->mount + std::string(path) + "/cgroup.events");
    if (!text) return text.error();
    return text.value().find("frozen 1") != std::string::npos;
  }
  if (const Hierarchy* h = v1_freezer(host)) {
    auto text = read_file(h->mount + std::string(path) + "/freezer.state");
    if (!text) return text.error();
    return text.value().starts_with("FROZEN");
  }
  return errno_code(ENOTSUP);
}

Result<int> open_events(const Host& host, std::string_view path) {
  return v2_freezer(host) ? open_unified_events(host, path) : -1;
}

Result<int> open_unified_events(const Host& host, std::string_view path) {
  const Hierarchy* h = host.v2();
  if (!h) return -1;
  std::string f = h->mount + std::string(path) + "/cgroup.events";
  int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_code();
  char buf[256];
  (void)::read(fd, buf, sizeof buf);  // arms kernfs' change notification
  return fd;
}

std::optional<bool> is_populated(int events_fd) {
  char buf[256];
  ssize_t n = ::pread(events_fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  std::string_view text(buf, size_t(n));
  size_t at = text.find("populated ");
  if (at == std::string_view::npos || at + 10 >= text.size()) return std::nullopt;
  return text[at + 10] == '1';
}

}  // namespace ringc::cgroup
