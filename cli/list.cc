#include <algorithm>
#include <array>
#include <cstdio>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/verbs/container.h"

namespace ringc::cli {

// runc's tabwriter: minwidth 12, padding 3.
std::string list_table(const std::vector<ListEntry>& entries) {
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"});
  for (auto& e : entries)
    rows.push_back({e.id, std::to_string(e.pid),
                    e.status ? std::string(fsm::name(*e.status)) : "unknown",
                    e.status ? e.bundle : e.error, e.created, e.owner});
  std::array<size_t, 6> width{};
  for (auto& r : rows)
    for (size_t i = 0; i < 6; ++i) width[i] = std::max({width[i], r[i].size() + 3, size_t(12)});
  std::string out;
  for (auto& r : rows) {
    for (size_t i = 0; i < 5; ++i) out += fmt::format("{:<{}}", r[i], width[i]);
    out += r[5] + "\n";
  }
  return out;
}

Result<int> cmd_list(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("list"), "list"));
  std::string format = a.get("format", "table");
  if (format != "table" && format != "json")
    return ringc_error(Errc::bad_usage, fmt::format("invalid format option \"{}\"", format));
  auto entries = list(ctx.runtime);
  std::string out;
  if (a.has("quiet")) {
    for (auto& e : entries) out += e.id + "\n";
  } else if (format == "json") {
    out = "[";
    for (size_t i = 0; i < entries.size(); ++i) out += (i ? "," : "") + entries[i].json;
    out += "]\n";
  } else {
    out = list_table(entries);
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace ringc::cli
