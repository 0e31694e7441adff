#include <fmt/format.h>

#include <fcntl.h>

#include <algorithm>
#include <bitset>
#include <cstdlib>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/verbs/container.h"

namespace ringc::cli {

namespace {
constexpr int kMaxPreserved = 1024;
std::bitset<kMaxPreserved> inherited;
}  // namespace

void note_inherited_fds() {
  // Probing stops after 64 closed fds in a row: a caller that hands over
  // nothing costs 64 fcntl calls, not a thousand.
  for (int fd = 3, last = 2; fd < 3 + kMaxPreserved && fd - last <= 64; ++fd) {
    if (::fcntl(fd, F_GETFD) >= 0) {
      inherited.set(fd - 3);
      last = fd;
    }
  }
}

bool fd_inherited(int fd) {
  return fd >= 3 && fd < 3 + kMaxPreserved && inherited.test(fd - 3);
}

Result<CreateOptions> create_options(const Args& a, std::string id, std::string_view command) {
  CreateOptions o;
  o.id = std::move(id);
  o.bundle = a.get("bundle", ".");
  o.pid_file = a.get("pid-file");
  o.console_socket = a.get("console-socket");
  o.pidfd_socket = a.get("pidfd-socket");
  o.no_pivot = a.has("no-pivot");
  o.no_new_keyring = a.has("no-new-keyring");
  std::string n = a.get("preserve-fds", "0");
  char* end = nullptr;
  unsigned long v = std::strtoul(n.c_str(), &end, 10);
  if (n.empty() || *end || v > 1024)
    return ringc_error(Errc::bad_usage,
                       fmt::format("{}: --preserve-fds: \"{}\" is not a count of fds", command, n));
  o.preserve_fds = unsigned(v);
  // LISTEN_FDS's fds come first; they too must be the caller's.
  const char* lf = std::getenv("LISTEN_FDS");
  unsigned total = o.preserve_fds + (lf ? unsigned(std::atoi(lf)) : 0);
  for (unsigned fd = 3; fd < 3 + std::min(total, unsigned(kMaxPreserved)); ++fd)
    if (!fd_inherited(int(fd)))
      return ringc_error(Errc::bad_usage,
                         fmt::format("{}: --preserve-fds: fd {} is not open", command, fd));
  return o;
}

// run's flags are create's plus --detach, --keep and --no-subreaper, the
// last entries. --no-subreaper changes nothing here: ringc never makes
// itself a subreaper (the init is its own child, waited on by pidfd).
std::span<const FlagSpec> create_flags(bool run) {
  return flags_of(run ? "run" : "create");
}

Result<int> cmd_create(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, create_flags(false), "create"));
  RINGC_TRY(auto id, one_id(a.positional, "create"));
  RINGC_TRY(auto o, create_options(a, id, "create"));
  RINGC_TRY(create(ctx.runtime, o));
  return 0;
}

Result<int> remote_create(Context& ctx, std::span<const std::string> argv) {
  return remote_launch(ctx, argv, false);
}

}  // namespace ringc::cli
