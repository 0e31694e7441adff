// ringc daemon: its flags; the daemon itself is core/supervisor/daemon.h,
// run under its reaper (core/supervisor/reaper.h).
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "cgroup/layout.h"
#include "cli/args.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/log.h"
#include "core/base/hugetext.h"
#include "core/supervisor/daemon.h"
#include "core/supervisor/reaper.h"
#include "core/supervisor/server.h"

namespace ringc::cli {

Result<int> cmd_daemon(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("daemon"), "daemon"));
  if (!a.has("socket")) return ringc_error(Errc::bad_usage, "\"daemon\" requires --socket PATH");
  ServerOptions o;
  o.path = a.get("socket");
  for (auto& v : a.values["allow-uid"]) {
    uid_t uid = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), uid);
    if (ec != std::errc() || end != v.data() + v.size())
      return ringc_error(Errc::bad_usage, fmt::format("--allow-uid: not a uid: \"{}\"", v));
    o.allowed_uids.push_back(uid);
  }
  RINGC_TRY(uint64_t memory_mib, a.number("pool-memory", 0, 0));
  if (memory_mib) {
    RINGC_TRY(const cgroup::Host* host, ctx.runtime.cgroups());
    if (!cgroup::has_controller(*host, "memory"))
      return ringc_error(Errc::bad_usage,
                         "--pool-memory: this host's cgroups have no memory controller to "
                         "measure parked inits by");
  }
  // The reaper (core/supervisor/reaper.h) holds the socket's lock across the
  // daemon's restarts; the daemon runs as its child.
  RINGC_TRY(int lock, lock_socket(o.path));
  ReaperRole role = run_reaper();
  if (!role.daemon) {
    ::unlink((o.path + ".lock").c_str());
    ::close(lock);
    return role.exit_code;
  }
  ::close(lock);
  o.locked = true;
  size_t huge = text_on_huge_pages();  // core/base/hugetext.h: cheaper clones
  log_debug(ctx.log, fmt::format("code on huge pages: {} KiB", huge >> 10));
  RINGC_TRY(uint64_t pool, a.number("pool-netns", 0, 0));
  RINGC_TRY(uint64_t cg_pool, a.number("pool-cgroups", 0, 0));
  Daemon d(ctx.runtime, EngineOptions{.netns_pool = unsigned(std::min<uint64_t>(pool, 4096)),
                                      .cgroup_pool = unsigned(std::min<uint64_t>(cg_pool, 4096)),
                                      .parked_memory = memory_mib << 20,
                                      .shared_clone = true});
  for (auto& v : a.values["pool"]) {
    size_t eq = v.rfind('=');
    unsigned n = 0;
    const char* end = v.data() + v.size();
    if (eq == std::string::npos || eq == 0 ||
        std::from_chars(v.data() + eq + 1, end, n).ptr != end || n > 4096)
      return ringc_error(Errc::bad_usage,
                         fmt::format("--pool: expected BUNDLE=N (N up to 4096), got \"{}\"", v));
    d.add_pool(v.substr(0, eq), n);
  }
  RINGC_TRY(d.serve(std::move(o), a.get("pid-file"), role.reaper_fd));
  return 0;
}

}  // namespace ringc::cli
