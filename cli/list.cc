#include <algorithm>
#include <array>
#include <cstdio>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/spec/json.h"
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

Result<int> remote_list(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("list"), "list"));
  std::string format = a.get("format", "table");
  if (format != "table" && format != "json")
    return ringc_error(Errc::bad_usage, fmt::format("invalid format option \"{}\"", format));
  Request r;
  r.op = "list";
  RINGC_TRY(auto reply, call(ctx, r));
  std::string arr = reply_raw(reply.line, "containers").value_or("[]");
  if (format == "json" && !a.has("quiet")) {
    std::fputs((arr + "\n").c_str(), stdout);
    return 0;
  }
  json::Document doc;
  json::Array items;
  if (!doc.parse(arr) || !doc.root().get(items))
    return ringc_error(Errc::init_failed, "the daemon sent a list that is not valid JSON");
  std::vector<ListEntry> entries;
  for (json::Value e : items) {
    ListEntry le;
    std::string_view s;
    int64_t pid = 0;
    if (e["id"].get(s)) le.id = s;
    if (e["bundle"].get(s)) le.bundle = s;
    if (e["created"].get(s)) le.created = s;
    if (e["owner"].get(s)) le.owner = s;
    if (e["status"].get(s)) le.status = fsm::parse_state(s);  // "unknown": a damaged record
    if (e["error"].get(s)) le.error = s;
    if (e["pid"].get(pid)) le.pid = int(pid);
    entries.push_back(std::move(le));
  }
  std::string out;
  if (a.has("quiet"))
    for (auto& e : entries) out += e.id + "\n";
  else
    out = list_table(entries);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace ringc::cli
