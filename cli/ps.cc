// ps: json prints the pids (what containerd's shim reads); table runs the
// host's ps (with the given arguments, default -ef) and keeps the header
// and the container's lines, as runc does.
#include <cstdio>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/verbs/container.h"
#include "core/verbs/host_command.h"

namespace ringc::cli {

Result<int> cmd_ps(Context& ctx, std::span<const std::string> argv) {
  // ringc's flags come before the id; everything after it goes to ps.
  size_t id_at = 0;
  while (id_at < argv.size() && argv[id_at].starts_with("-")) {
    bool takes_value =
        (argv[id_at] == "-f" || argv[id_at] == "--format" || argv[id_at] == "-format");
    id_at += takes_value ? 2 : 1;
  }
  if (id_at >= argv.size())
    return ringc_error(Errc::bad_usage, "\"ps\" requires the container id [ps options]");
  RINGC_TRY(auto a, parse(argv.subspan(0, id_at + 1), flags_of("ps"), "ps"));
  for (size_t i = id_at + 1; i < argv.size(); ++i) a.positional.push_back(argv[i]);
  std::string format = a.get("format", "table");
  if (format != "table" && format != "json")
    return ringc_error(Errc::bad_usage, fmt::format("invalid format option \"{}\"", format));
  RINGC_TRY(auto pids, processes(ctx.runtime, a.positional[0]));
  if (format == "json") {
    std::string out = "[";
    for (size_t i = 0; i < pids.size(); ++i) out += (i ? "," : "") + std::to_string(pids[i]);
    std::puts((out + "]").c_str());
    return 0;
  }
  std::string cmd = "ps";
  if (a.positional.size() == 1) cmd += " -ef";
  for (size_t i = 1; i < a.positional.size(); ++i) {
    std::string quoted = "'";
    for (char ch : a.positional[i])
      quoted += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    cmd += " " + quoted + "'";
  }
  RINGC_TRY(auto table, run_capture(ctx.runtime, cmd));
  std::istringstream in(table);
  std::string header;
  std::getline(in, header);
  // The PID column: where "PID" ends in the header.
  std::istringstream h(header);
  int pid_col = -1, col = 0;
  for (std::string w; h >> w; ++col)
    if (w == "PID") pid_col = col;
  if (pid_col < 0) return ringc_error(Errc::bad_usage, "ps: no PID column in the output of " + cmd);
  std::set<pid_t> mine(pids.begin(), pids.end());
  std::string out = header + "\n";
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    std::string w;
    for (int c = 0; c <= pid_col && (l >> w); ++c) {
    }
    if (!w.empty() && mine.count(pid_t(std::atoi(w.c_str())))) out += line + "\n";
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

Result<int> remote_ps(Context& ctx, std::span<const std::string> argv) {
  return on_daemon_root(ctx, argv, cmd_ps);
}

}  // namespace ringc::cli
