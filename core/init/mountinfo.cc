#include "core/init/mountinfo.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>

#include "core/base/sys.h"

namespace ringc {

namespace {
std::string unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      auto oct = [&](char c) { return c >= '0' && c <= '7'; };
      if (oct(s[i + 1]) && oct(s[i + 2]) && oct(s[i + 3])) {
        out += char((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string_view next_field(std::string_view& s) {
  size_t sp = s.find(' ');
  std::string_view f = s.substr(0, sp);
  s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
  return f;
}
}  // namespace

bool parse_mountinfo_line(std::string_view line, MountEntry& out) {
  // id parent major:minor root point options [optional...] - fstype source super
  std::string_view s = line;
  std::string id(next_field(s)), parent(next_field(s));
  if (id.empty() || parent.empty()) return false;
  out.id = std::atoi(id.c_str());
  out.parent = std::atoi(parent.c_str());
  next_field(s);  // major:minor
  next_field(s);  // root
  std::string_view point = next_field(s);
  if (point.empty()) return false;
  out.point = unescape(point);
  next_field(s);  // mount options
  out.shared = false;
  for (;;) {
    std::string_view f = next_field(s);
    if (f.empty()) return false;
    if (f == "-") break;
    if (f.starts_with("shared:")) out.shared = true;
  }
  out.fstype = std::string(next_field(s));
  return !out.fstype.empty();
}

Result<std::vector<MountEntry>> read_mountinfo() {
  int fd = ::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, "open /proc/self/mountinfo");
  sys::UniqueFd guard(fd);
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) return sys_error(errno, "read /proc/self/mountinfo");
    if (n == 0) break;
    text.append(buf, size_t(n));
  }
  std::vector<MountEntry> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    MountEntry e;
    if (parse_mountinfo_line(std::string_view(text).substr(pos, nl - pos), e))
      out.push_back(std::move(e));
    pos = nl + 1;
  }
  return out;
}

bool path_within(std::string_view path, std::string_view dir) {
  if (dir == "/") return path.starts_with('/');
  if (!path.starts_with(dir)) return false;
  return path.size() == dir.size() || path[dir.size()] == '/';
}

}  // namespace ringc
