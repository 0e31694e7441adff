#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/verbs/events.h"

namespace ringc::cli {

Result<int> cmd_events(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("events"), "events"));
  RINGC_TRY(auto id, one_id(a.positional, "events"));
  if (a.has("stats")) {
    RINGC_TRY(auto json, stats_event(ctx.runtime, id));
    std::puts(json.c_str());
    return 0;
  }
  // Go durations as runc takes them: 5s, 500ms, 1m.
  std::string iv = a.get("interval", "5s");
  char* end = nullptr;
  double v = std::strtod(iv.c_str(), &end);
  std::string unit(end);
  double ms = unit == "ms" ? v : unit == "s" ? v * 1000 : unit == "m" ? v * 60000 : -1;
  if (end == iv.c_str() || ms <= 0)
    return ringc_error(Errc::bad_usage, fmt::format("events: invalid --interval \"{}\"", iv));
  RINGC_TRY(stream_events(ctx.runtime, id, std::chrono::milliseconds(int64_t(ms)),
                          [](const std::string& line) {
                            std::puts(line.c_str());
                            std::fflush(stdout);
                          }));
  return 0;
}

// events: the daemon's stream of transitions and exits, one JSON per line,
// until the daemon goes away (or the user interrupts). With --stats or
// --interval, runc's stats, read from the cgroup as without a daemon.
Result<int> remote_events(Context& ctx, std::span<const std::string> argv) {
  for (const std::string& w : argv)
    if (w == "--stats" || w.starts_with("--interval")) return on_daemon_root(ctx, argv, cmd_events);
  RINGC_TRY(auto a, parse(argv, {}, "events"));
  Request r;
  r.op = "subscribe";
  Connection c;
  RINGC_TRY(call(ctx, r, c));
  std::string want = a.positional.empty() ? "" : "\"id\":\"" + a.positional[0] + "\"";
  for (;;) {
    RINGC_TRY(auto line, c.line());
    if (line.empty()) return 0;
    if (!want.empty() && line.find(want) == std::string::npos) continue;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  }
}

}  // namespace ringc::cli
