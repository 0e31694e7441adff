// The harness's arithmetic and output: interleaving, summaries, JSON and
// the terminal table. No syscalls here (unit-tested).
#include <fmt/format.h>

#include <algorithm>

#include "bench/harness.h"
#include "bench/stats.h"
#include "core/store/state_json.h"

namespace ringc::bench {

std::string_view name(Workload w) {
  return kWorkloadNames[int(w)];
}

bool parse_workload(std::string_view s, Workload& out) {
  for (int i = 0; i < int(std::size(kWorkloadNames)); ++i)
    if (kWorkloadNames[i] == s) {
      out = Workload(i);
      return true;
    }
  return false;
}

std::vector<int> interleave(int contestants, int round) {
  std::vector<int> order;
  for (int i = 0; i < contestants; ++i) order.push_back((round + i) % contestants);
  return order;
}

Summary summarize(const std::string& runtime, Workload w, int parallel,
                  const std::vector<Round>& rounds) {
  Summary s;
  s.runtime = runtime;
  s.workload = w;
  s.parallel = parallel;
  std::vector<double> rates, latencies;
  double cpu = 0;
  for (auto& r : rounds) {
    s.count += r.count;
    s.failed += r.failed;
    int ok = r.count - r.failed;
    if (r.seconds > 0) rates.push_back(double(ok) / r.seconds);
    latencies.insert(latencies.end(), r.latencies_ms.begin(), r.latencies_ms.end());
    cpu += r.cpu_ms;
    s.peak_rss_kib = std::max(s.peak_rss_kib, r.peak_rss_kib);
    if (!r.last_error.empty()) s.last_error = r.last_error;
  }
  s.containers_per_second = percentile(rates, 50);
  std::sort(latencies.begin(), latencies.end());
  s.latencies_ms = latencies;
  s.p50_ms = percentile(latencies, 50);
  s.p95_ms = percentile(latencies, 95);
  s.p99_ms = percentile(latencies, 99);
  s.cpu_ms_per_container = s.count ? cpu / s.count : 0;
  return s;
}

void set_ratios(std::vector<Summary>& all, const std::string& baseline) {
  for (auto& s : all) {
    const Summary* base = nullptr;
    for (auto& b : all)
      if (b.workload == s.workload && b.parallel == s.parallel &&
          (baseline.empty() || b.runtime == baseline)) {
        base = &b;
        break;
      }
    s.ratio = base && base->containers_per_second > 0
                  ? s.containers_per_second / base->containers_per_second
                  : 0;
  }
}

std::string to_json(const std::vector<Summary>& all) {
  std::string out = "{\"results\":[";
  for (size_t i = 0; i < all.size(); ++i) {
    const Summary& s = all[i];
    out += fmt::format(
        "{}{{\"runtime\":{},\"workload\":\"{}\",\"count\":{},\"failed\":{},\"parallel\":{},"
        "\"containers_per_second\":{:.2f},\"p50_ms\":{:.3f},\"p95_ms\":{:.3f},\"p99_ms\":{:.3f},"
        "\"cpu_ms_per_container\":{:.3f},\"peak_rss_kib\":{},\"ratio\":{:.3f}",
        i ? "," : "", json_quote(s.runtime), name(s.workload), s.count, s.failed, s.parallel,
        s.containers_per_second, s.p50_ms, s.p95_ms, s.p99_ms, s.cpu_ms_per_container,
        s.peak_rss_kib, s.ratio);
    if (!s.last_error.empty()) out += ",\"last_error\":" + json_quote(s.last_error);
    out += "}";
  }
  return out + "]}\n";
}

std::string to_table(const std::vector<Summary>& all) {
  std::string out =
      fmt::format("{:<10} {:<10} {:>4} {:>7} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6}\n",
                  "RUNTIME", "WORKLOAD", "K", "FAILED", "CONTAINERS/S", "P50 MS", "P95 MS",
                  "P99 MS", "CPU MS/C", "RSS KIB", "RATIO");
  for (auto& s : all)
    out += fmt::format(
        "{:<10} {:<10} {:>4} {:>7} {:>12.1f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} "
        "{:>9} {:>6.2f}\n",
        s.runtime, name(s.workload), s.parallel, fmt::format("{}/{}", s.failed, s.count),
        s.containers_per_second, s.p50_ms, s.p95_ms, s.p99_ms, s.cpu_ms_per_container,
        s.peak_rss_kib, s.ratio);
  return out;
}

}  // namespace ringc::bench
