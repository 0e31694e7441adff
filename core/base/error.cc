#include "core/base/error.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace ringc {

namespace {
class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "ringc"; }
  std::string message(int c) const override {
    switch (Errc(c)) {
      case Errc::bad_spec:
        return "invalid config";
      case Errc::bad_id:
        return "invalid container id";
      case Errc::exists:
        return "container exists";
      case Errc::not_found:
        return "container does not exist";
      case Errc::invalid_transition:
        return "invalid state transition";
      case Errc::corrupt_state:
        return "corrupt state record";
      case Errc::init_failed:
        return "container init failed";
      case Errc::timed_out:
        return "timed out";
      case Errc::failed:
        return "operation failed";
      case Errc::bad_usage:
        return "bad usage";
    }
    return "unknown error";
  }
};
}  // namespace

const std::error_category& ringc_category() {
  static Category c;
  return c;
}

std::string Error::what() const {
  if (code.category() == ringc_category()) return context.empty() ? code.message() : context;
  // Lower-case, as Go's (runc's) errno texts: engines match on them.
  std::string msg = std::strerror(code.value());
  if (!msg.empty() && msg[0] >= 'A' && msg[0] <= 'Z' &&
      !(msg.size() > 1 && msg[1] >= 'A' && msg[1] <= 'Z'))
    msg[0] = char(msg[0] - 'A' + 'a');
  return context.empty() ? msg : context + ": " + msg;
}

Error sys_error(int errnum, std::string context) {
  return {{errnum, std::generic_category()}, std::move(context)};
}

Error ringc_error(Errc e, std::string text) {
  return {make_error_code(e), std::move(text)};
}

Result<std::string> read_file(const std::string& path) {
  int fd = path == "-" ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, "open " + path);
  std::string text;
  char buf[16384];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, size_t(n));
  int e = errno;
  if (fd != 0) ::close(fd);
  if (n < 0) return sys_error(e, "read " + path);
  return text;
}

Error wrap(Error e, std::string_view outer) {
  e.context = e.context.empty() ? std::string(outer) : std::string(outer) + ": " + e.context;
  return e;
}

}  // namespace ringc
