#include <fmt/format.h>

#include <csignal>

#include "cli/args.h"
#include "cli/client.h"
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

// kill ID [SIGNAL] [--all] [--grace DURATION]: with --grace, the signal now
// and SIGKILL when the grace period runs out (a ring timer in the daemon).
Result<int> remote_kill(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("kill"), "kill"));
  if (a.positional.empty() || a.positional.size() > 2)
    return ringc_error(Errc::bad_usage,
                       "\"kill\" requires the container id and an optional signal");
  Request r;
  r.op = "kill";
  r.id = a.positional[0];
  r.signal = a.positional.size() == 2 ? a.positional[1] : "TERM";
  r.all = a.has("all");
  if (a.has("grace")) {
    std::string g = a.get("grace");
    int64_t scale = g.ends_with("ms") ? 1 : 1000;
    std::string digits = g.substr(0, g.find_first_not_of("0123456789"));
    std::string unit = g.substr(digits.size());
    if (digits.empty() || (unit != "" && unit != "s" && unit != "ms"))
      return ringc_error(
          Errc::bad_usage,
          fmt::format("--grace: want a duration such as 10s or 500ms, got \"{}\"", g));
    r.grace_ms = std::stoll(digits) * scale;
  }
  RINGC_TRY(call(ctx, r));
  return 0;
}

}  // namespace ringc::cli
