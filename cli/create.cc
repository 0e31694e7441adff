#include <fmt/format.h>

#include "cli/args.h"
#include "cli/command.h"
#include "core/container.h"

namespace ringc::cli {

Result<void> refuse_unbuilt_flags(const Args& a, std::string_view command) {
  for (const char* flag : {"console-socket", "no-pivot"})
    if (a.has(flag))
      return ringc_error(Errc::bad_usage,
                         fmt::format("{}: --{} is not supported by this ringc yet", command, flag));
  if (a.get("preserve-fds", "0") != "0")
    return ringc_error(
        Errc::bad_usage,
        fmt::format("{}: --preserve-fds is not supported by this ringc yet", command));
  return outcome::success();
}

namespace {
constexpr FlagSpec kCreateFlags[] = {{"bundle", "b", true},         {"pid-file", "", true},
                                     {"console-socket", "", true},  {"no-pivot", "", false},
                                     {"no-new-keyring", "", false}, {"preserve-fds", "", true},
                                     {"detach", "d", false}};
}  // namespace

// run's flags are create's plus --detach, the last entry.
std::span<const FlagSpec> create_flags() {
  return kCreateFlags;
}

Result<int> cmd_create(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, create_flags().first(std::size(kCreateFlags) - 1), "create"));
  RINGC_TRY(refuse_unbuilt_flags(a, "create"));
  RINGC_TRY(auto id, one_id(a.positional, "create"));
  CreateOptions o{id, a.get("bundle", "."), a.get("pid-file")};
  RINGC_TRY(create(ctx.runtime, o));
  return 0;
}

}  // namespace ringc::cli
