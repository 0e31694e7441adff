// update: runc's flags, or a LinuxResources JSON with -r FILE (- for stdin,
// as containerd's shim sends it).
#include <fmt/format.h>

#include <cstdlib>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/flags.h"
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
}  // namespace

Result<int> cmd_update(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("update"), "update"));
  RINGC_TRY(auto id, one_id(a.positional, "update"));
  if (a.has("blkio-weight"))
    return ringc_error(Errc::bad_usage,
                       "update: --blkio-weight is not supported by this ringc yet");
  cgroup::Resources r;
  if (a.has("resources")) {
    RINGC_TRY(r, load_resources(a.get("resources")));
  }
  // Flags override the file, as in runc.
  if (a.has("memory")) {
    RINGC_TRY(r.memory_limit, parse_bytes("memory", a.get("memory")));
  }
  if (a.has("memory-reservation")) {
    RINGC_TRY(r.memory_reservation, parse_bytes("memory-reservation", a.get("memory-reservation")));
  }
  if (a.has("memory-swap")) {
    RINGC_TRY(r.memory_swap, parse_bytes("memory-swap", a.get("memory-swap")));
  }
  for (const char* shares : {"cpu-shares", "cpu-share"}) {  // runc's name last: it wins
    if (!a.has(shares)) continue;
    RINGC_TRY(auto v, parse_int(shares, a.get(shares)));
    r.cpu_shares = uint64_t(v);
  }
  if (a.has("cpu-rt-period")) {
    RINGC_TRY(auto v, parse_int("cpu-rt-period", a.get("cpu-rt-period")));
    r.cpu_rt_period = uint64_t(v);
  }
  if (a.has("cpu-rt-runtime")) {
    RINGC_TRY(r.cpu_rt_runtime, parse_int("cpu-rt-runtime", a.get("cpu-rt-runtime")));
  }
  if (a.has("cpu-quota")) {
    RINGC_TRY(r.cpu_quota, parse_int("cpu-quota", a.get("cpu-quota")));
  }
  if (a.has("cpu-period")) {
    RINGC_TRY(auto v, parse_int("cpu-period", a.get("cpu-period")));
    r.cpu_period = uint64_t(v);
  }
  if (a.has("cpuset-cpus")) r.cpus = a.get("cpuset-cpus");
  if (a.has("cpuset-mems")) r.mems = a.get("cpuset-mems");
  if (a.has("pids-limit")) {
    RINGC_TRY(r.pids_limit, parse_int("pids-limit", a.get("pids-limit")));
  }
  RINGC_TRY(update(ctx.runtime, id, std::move(r)));
  return 0;
}

}  // namespace ringc::cli
