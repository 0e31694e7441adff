#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/spec/spec.h"

namespace ringc::cli {

Result<int> cmd_spec(Context&, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("spec"), "spec"));
  std::string path = a.get("bundle", ".") + "/config.json";
  // runc refuses to overwrite an existing config.json.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      return ringc_error(Errc::bad_usage, "File " + path + " exists. Remove it first");
    return sys_error(errno, "create " + path);
  }
  std::string text = default_spec_json(a.has("rootless"));
  ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (n != ssize_t(text.size())) return sys_error(errno, "write " + path);
  return 0;
}

}  // namespace ringc::cli
