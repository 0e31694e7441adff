// ringc batch: N containers of one bundle through the in-process engine,
// K in flight; a live progress line on a terminal, a summary at the end.
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/log.h"
#include "core/base/hugetext.h"
#include "core/engine/batch.h"
#include "core/init/console.h"
#include "core/spec/json.h"
#include "core/store/state_json.h"

namespace ringc::cli {

std::string batch_summary(const BatchReport& r, bool keep) {
  std::string out = fmt::format(
      "batch: {} containers, {} ok, {} failed in {:.2f} s: {:.0f} containers/s\n"
      "  create→running  p50 {:.2f} ms  p95 {:.2f} ms  p99 {:.2f} ms\n",
      r.count, r.ok, r.failed, r.seconds, r.per_second, r.to_running.p50, r.to_running.p95,
      r.to_running.p99);
  if (!keep)
    out += fmt::format("  exit→deleted    p50 {:.2f} ms  p95 {:.2f} ms  p99 {:.2f} ms\n",
                       r.to_deleted.p50, r.to_deleted.p95, r.to_deleted.p99);
  out += fmt::format(
      "  cpu {:.2f} ms per container (reactor thread {:.0f} µs CPU, {:.0f} µs busy{}), peak RSS {} "
      "KiB\n",
      r.cpu_ms_per_container, r.reactor_cpu_us_per_container, r.reactor_us_per_container,
      r.spawner_cpu_us_per_container > 0
          ? fmt::format("; spawner {:.0f} µs CPU", r.spawner_cpu_us_per_container)
          : "",
      r.peak_rss_kib);
  const NetnsPoolStats& np = r.engine.netns;
  if (np.hits + np.misses > 0)
    out += fmt::format("  network namespaces: {} warm, {} made, {} recycled, {} discarded{}\n",
                       np.hits, np.misses, np.recycled, np.discarded,
                       np.last_discard.empty() ? "" : " (last: " + np.last_discard + ")");
  if (const auto& cp = r.engine.cgroups)
    out += fmt::format(
        "  cgroups: {} from the pool, {} made fresh, {} beyond it; {} given back whole, {} kept "
        "directories remade{}\n",
        cp->hits, cp->misses, cp->full, cp->recycled, cp->remade,
        cp->last_remade.empty() ? "" : " (last: " + cp->last_remade + ")");
  for (auto& f : r.failures) out += "  failed: " + f + "\n";
  return out;
}

namespace {

// A field of the report when present and of the right type.
template <class T>
void take(json::Value field, T& out) {
  T v;
  if (field.get(v)) out = v;
}

Percentiles percentiles_of(json::Value e) {
  Percentiles p;
  take(e["p50_ms"], p.p50);
  take(e["p95_ms"], p.p95);
  take(e["p99_ms"], p.p99);
  take(e["max_ms"], p.max);
  return p;
}
}  // namespace

std::span<const FlagSpec> batch_flags() {
  return flags_of("batch");
}

Result<BatchOptions> batch_options(const Args& a) {
  if (!a.positional.empty())
    return ringc_error(Errc::bad_usage, "\"batch\" takes no arguments (see --count)");
  if (!a.has("count")) return ringc_error(Errc::bad_usage, "\"batch\" requires --count N");
  BatchOptions o;
  o.bundle = a.get("bundle", ".");
  RINGC_TRY(o.count, a.number("count", 0, 1));
  RINGC_TRY(auto par, a.number("parallel", 1, 1));
  o.parallel = unsigned(std::min<uint64_t>(par, 1u << 20));
  o.prefix = a.get("id-prefix", "batch");
  o.keep = a.has("keep");
  RINGC_TRY(auto pool, a.number("pool-netns", 0, 0));
  o.netns_pool = unsigned(std::min<uint64_t>(pool, 4096));
  RINGC_TRY(auto cg_pool, a.number("pool-cgroups", 0, 0));
  o.cgroup_pool = unsigned(std::min<uint64_t>(cg_pool, 4096));
  return o;
}

BatchReport parse_batch_report(std::string_view text) {
  BatchReport r;
  json::Document doc;
  if (!doc.parse(text)) return r;
  json::Value e = doc.root();
  take(e["count"], r.count);
  take(e["ok"], r.ok);
  take(e["failed"], r.failed);
  take(e["seconds"], r.seconds);
  take(e["containers_per_second"], r.per_second);
  take(e["cpu_ms_per_container"], r.cpu_ms_per_container);
  take(e["reactor_us_per_container"], r.reactor_us_per_container);
  take(e["reactor_cpu_us_per_container"], r.reactor_cpu_us_per_container);
  take(e["spawner_cpu_us_per_container"], r.spawner_cpu_us_per_container);
  take(e["peak_rss_kib"], r.peak_rss_kib);
  if (json::Value np = e["netns_pool"]; !np.is_null()) {
    take(np["hits"], r.engine.netns.hits);
    take(np["misses"], r.engine.netns.misses);
    take(np["recycled"], r.engine.netns.recycled);
    take(np["discarded"], r.engine.netns.discarded);
    std::string_view why;
    if (np["last_discard"].get(why)) r.engine.netns.last_discard = why;
  }
  if (json::Value cp = e["cgroup_pool"]; !cp.is_null()) {
    CgroupPoolStats c;
    take(cp["hits"], c.hits);
    take(cp["misses"], c.misses);
    take(cp["full"], c.full);
    take(cp["recycled"], c.recycled);
    take(cp["remade"], c.remade);
    std::string_view why;
    if (cp["last_remade"].get(why)) c.last_remade = why;
    r.engine.cgroups = c;
  }
  if (json::Value sub = e["create_to_running"]; !sub.is_null()) r.to_running = percentiles_of(sub);
  if (json::Value sub = e["exit_to_deleted"]; !sub.is_null()) r.to_deleted = percentiles_of(sub);
  if (json::Array failures; e["failures"].get(failures))
    for (json::Value f : failures) {
      std::string_view s;
      if (f.get(s)) r.failures.emplace_back(s);
    }
  return r;
}

Result<int> cmd_batch(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, batch_flags(), "batch"));
  RINGC_TRY(auto o, batch_options(a));
  // Cheaper clones (core/base/hugetext.h), for 10-20 ms at the start: a
  // batch of fewer than about a hundred would not win it back.
  if (o.count >= 100) {
    size_t huge = text_on_huge_pages();
    log_debug(ctx.log, fmt::format("code on huge pages: {} KiB", huge >> 10));
  }

  bool live = ::isatty(2) && !a.has("json");
  auto last = std::chrono::steady_clock::now();
  auto progress = [&](const BatchProgress& p) {
    if (!live) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(100)) return;
    last = now;
    std::fprintf(stderr, "\r  launched %llu  running %llu  done %llu  failed %llu ",
                 (unsigned long long)p.launched, (unsigned long long)p.running,
                 (unsigned long long)p.done, (unsigned long long)p.failed);
  };
  RINGC_TRY(auto r, run_batch(ctx.runtime, o, progress));
  if (live) std::fputs("\r\033[K", stderr);
  std::string out = a.has("json") ? batch_json(r) : batch_summary(r, o.keep);
  std::fputs(out.c_str(), stdout);
  return r.failed ? 1 : 0;
}

Result<int> remote_batch(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, batch_flags(), "batch"));
  RINGC_TRY(auto o, batch_options(a));
  if (o.netns_pool || o.cgroup_pool)
    return ringc_error(Errc::bad_usage,
                       "batch --pool-netns, --pool-cgroups: a daemon's engine has its own pools "
                       "(ringc daemon --pool-netns N --pool-cgroups N)");
  Request r;
  r.op = "batch";
  r.bundle = absolute_path(o.bundle);
  r.count = o.count;
  r.parallel = o.parallel;
  r.prefix = o.prefix;
  r.keep = o.keep;
  // Its containers write where a local batch's would: this client's stdio.
  RINGC_TRY(auto h, handover(r, 0, false, false));
  Connection c;
  RINGC_TRY(auto reply, call(ctx, r, c, h.fds));
  std::string report = reply_raw(reply.line, "report").value_or("{}");
  if (a.has("json")) {
    std::fputs((report + "\n").c_str(), stdout);
  } else {
    std::fputs(batch_summary(parse_batch_report(report), o.keep).c_str(), stdout);
  }
  return reply_int(report, "failed").value_or(0) ? 1 : 0;
}

}  // namespace ringc::cli
