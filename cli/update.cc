// update: runc's flags, or a LinuxResources JSON with -r FILE (- for stdin,
// as containerd's shim sends it).
#include <fmt/format.h>

#include <cstdlib>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/spec/json.h"
#include "core/spec/spec.h"
#include "core/verbs/container.h"

namespace ringc::cli {

namespace {
// runc's RAMInBytes: a number with an optional k, m, g, t suffix (base
// 1024, "b" and a trailing "b"/"ib" allowed); -1 for unlimited.
Result<int64_t> parse_bytes(const std::string& flag, const std::string& v) {
  if (v == "-1") return -1;
  char* end = nullptr;
  double n = std::strtod(v.c_str(), &end);
  std::string unit(end);
  for (char& c : unit) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (unit.ends_with("ib"))
    unit.resize(unit.size() - 2);
  else if (unit.size() > 1 && unit.ends_with("b"))
    unit.pop_back();
  int64_t mult = unit.empty() || unit == "b" ? 1
                 : unit == "k"               ? 1LL << 10
                 : unit == "m"               ? 1LL << 20
                 : unit == "g"               ? 1LL << 30
                 : unit == "t"               ? 1LL << 40
                                             : 0;
  if (end == v.c_str() || mult == 0 || n < 0)
    return ringc_error(Errc::bad_usage, fmt::format("update: invalid value for --{}: {}", flag, v));
  return int64_t(n * double(mult));
}

Result<int64_t> parse_int(const std::string& flag, const std::string& v) {
  char* end = nullptr;
  long long n = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end)
    return ringc_error(Errc::bad_usage, fmt::format("update: invalid value for --{}: {}", flag, v));
  return int64_t(n);
}
// runc's flags and where each goes in a LinuxResources object.
struct FlagField {
  const char* flag;
  const char* pointer;
  enum { bytes, integer, text } kind;
};
constexpr FlagField kFields[] = {
    {"memory", "/memory/limit", FlagField::bytes},
    {"memory-reservation", "/memory/reservation", FlagField::bytes},
    {"memory-swap", "/memory/swap", FlagField::bytes},
    {"cpu-shares", "/cpu/shares", FlagField::integer},
    {"cpu-share", "/cpu/shares", FlagField::integer},  // runc's name, after: it wins
    {"cpu-rt-period", "/cpu/realtimePeriod", FlagField::integer},
    {"cpu-rt-runtime", "/cpu/realtimeRuntime", FlagField::integer},
    {"cpu-quota", "/cpu/quota", FlagField::integer},
    {"cpu-period", "/cpu/period", FlagField::integer},
    {"cpuset-cpus", "/cpu/cpus", FlagField::text},
    {"cpuset-mems", "/cpu/mems", FlagField::text},
    {"pids-limit", "/pids/limit", FlagField::integer},
};

// The LinuxResources object the update asks for: the -r file (or {}) with
// the flags written over it, as runc does. Its text goes to the engine
// here or to the daemon, which read it the same way.
Result<std::string> requested_resources(const Args& a, std::string& name) {
  std::string text = "{}";
  if (a.has("resources")) {
    std::string path = a.get("resources");
    RINGC_TRY(text, read_file(path));
    name = path == "-" ? "resources (stdin)" : path;
  }
  json::Document doc;
  if (std::string why; !doc.parse(text, &why))
    return ringc_error(Errc::bad_spec, fmt::format("{}: not valid JSON: {}", name, why));
  for (const FlagField& f : kFields) {
    if (!a.has(f.flag)) continue;
    const std::string& v = a.get(f.flag);
    bool set = false;
    if (f.kind == FlagField::text) {
      set = doc.set(f.pointer, v);
    } else {
      RINGC_TRY(auto n, f.kind == FlagField::bytes ? parse_bytes(f.flag, v) : parse_int(f.flag, v));
      set = doc.set(f.pointer, n);
    }
    if (!set)
      return ringc_error(Errc::bad_spec,
                         fmt::format("{}: must be a LinuxResources object (--{} goes to {})", name,
                                     f.flag, f.pointer));
  }
  return doc.dump();
}
}  // namespace

Result<int> cmd_update(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("update"), "update"));
  RINGC_TRY(auto id, one_id(a.positional, "update"));
  if (a.has("blkio-weight"))
    return ringc_error(Errc::bad_usage,
                       "update: --blkio-weight is not supported by this ringc yet");
  std::string name = "update";
  RINGC_TRY(auto text, requested_resources(a, name));
  // Read here first, so that an error names the file (the daemon reads
  // it again, as a request).
  RINGC_TRY(auto res, resources_from_json(text, name));
  if (!ctx.daemon.empty()) {  // the daemon's engine writes it
    Request r;
    r.op = "update";
    r.id = id;
    r.resources = std::move(text);
    RINGC_TRY(call(ctx, r));
    return 0;
  }
  RINGC_TRY(update(ctx.runtime, id, std::move(res)));
  return 0;
}

}  // namespace ringc::cli
