#include <fmt/format.h>

#include <csignal>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/verbs/container.h"

namespace ringc::cli {

Result<int> cmd_kill(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("kill"), "kill"));
  if (a.has("grace"))
    return ringc_error(Errc::bad_usage, "kill: --grace needs a daemon (--daemon SOCKET)");
  if (a.positional.empty() || a.positional.size() > 2)
    return ringc_error(Errc::bad_usage, "\"kill\" requires 1 or 2 arguments (id [signal])");
  std::string sig_name = a.positional.size() == 2 ? a.positional[1] : "SIGTERM";
  int sig = parse_signal(sig_name);
  if (sig < 0) return ringc_error(Errc::bad_usage, fmt::format("unknown signal \"{}\"", sig_name));
  RINGC_TRY(kill(ctx.runtime, a.positional[0], sig, a.has("all")));
  return 0;
}

}  // namespace ringc::cli
