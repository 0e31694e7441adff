// A batch's report as JSON: `ringc batch --json` and the daemon's batch
// reply print the same.
#include <fmt/format.h>

#include "core/engine/batch.h"
#include "core/store/state_json.h"

namespace ringc {

namespace {
std::string percentiles_json(const Percentiles& p) {
  return fmt::format("{{\"p50_ms\":{:.3f},\"p95_ms\":{:.3f},\"p99_ms\":{:.3f},\"max_ms\":{:.3f}}}",
                     p.p50, p.p95, p.p99, p.max);
}

}  // namespace

std::string netns_pool_json(const NetnsPoolStats& s) {
  return fmt::format(
      "{{\"hits\":{},\"misses\":{},\"recycled\":{},\"discarded\":{},\"last_discard\":{}}}", s.hits,
      s.misses, s.recycled, s.discarded, json_quote(s.last_discard));
}

std::string cgroup_pool_json(const CgroupPoolStats& s) {
  return fmt::format(
      "{{\"hits\":{},\"misses\":{},\"full\":{},\"recycled\":{},\"remade\":{},"
      "\"last_remade\":{}}}",
      s.hits, s.misses, s.full, s.recycled, s.remade, json_quote(s.last_remade));
}

std::string batch_json(const BatchReport& r) {
  std::string phases;
  for (int i = 0; i < kPhaseCount; ++i)
    phases += fmt::format("{}\"{}\":{:.1f}", i ? "," : "", name(Phase(i)),
                          r.count ? double(r.engine.phase_ns[i]) / 1e3 / double(r.count) : 0.0);
  std::string init;
  for (int k = 0; k < kChildPhaseCount; ++k)
    init += fmt::format(
        "{}\"{}\":{:.1f}", k ? "," : "",
        std::string_view(kChildPhases[k]).substr(6),  // less "child-"
        r.engine.inits_ready ? double(r.engine.init_us[k]) / double(r.engine.inits_ready) : 0.0);
  std::string failures;
  for (size_t i = 0; i < r.failures.size(); ++i)
    failures += (i ? "," : "") + json_quote(r.failures[i]);
  return fmt::format(
      "{{\"count\":{},\"ok\":{},\"failed\":{},\"seconds\":{:.3f},"
      "\"containers_per_second\":{:.1f},\"p50_ms\":{:.3f},\"p95_ms\":{:.3f},\"p99_ms\":{:.3f},"
      "\"create_to_running\":{},\"exit_to_deleted\":{},\"cpu_ms_per_container\":{:.3f},"
      "\"engine_cpu_ms_per_container\":{:.3f},"
      "\"reactor_us_per_container\":{:.1f},\"reactor_cpu_us_per_container\":{:.1f},"
      "\"spawner_cpu_us_per_container\":{:.1f},\"spawner_launches\":{},"
      "\"reactor_us_by_phase\":{{{}}},"
      "\"init_us_by_phase\":{{{}}},\"netns_pool\":{},{}"
      "\"peak_rss_kib\":{},\"queue_full\":{},\"failures\":[{}]}}\n",
      r.count, r.ok, r.failed, r.seconds, r.per_second, r.to_running.p50, r.to_running.p95,
      r.to_running.p99, percentiles_json(r.to_running), percentiles_json(r.to_deleted),
      r.cpu_ms_per_container, r.engine_cpu_ms_per_container, r.reactor_us_per_container,
      r.reactor_cpu_us_per_container, r.spawner_cpu_us_per_container, r.engine.spawned, phases,
      init, netns_pool_json(r.engine.netns),
      r.engine.cgroups ? "\"cgroup_pool\":" + cgroup_pool_json(*r.engine.cgroups) + "," : "",
      r.peak_rss_kib, r.engine.queue_full, failures);
}

}  // namespace ringc
