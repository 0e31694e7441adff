// The benchmark harness's own logic: percentiles, interleaving, summaries,
// ratios and the JSON schema.
#include <gtest/gtest.h>

#include "bench/harness.h"
#include "bench/stats.h"
#include "core/spec/json.h"

using namespace ringc::bench;
namespace json = ringc::json;

namespace {
Summary summary(const char* runtime, Workload w, double rate) {
  Summary s;
  s.runtime = runtime;
  s.workload = w;
  s.containers_per_second = rate;
  return s;
}
}  // namespace

TEST(Bench, NearestRankPercentiles) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_EQ(percentile(v, 50), 50);
  EXPECT_EQ(percentile(v, 95), 95);
  EXPECT_EQ(percentile(v, 99), 99);
  EXPECT_EQ(percentile(v, 100), 100);
  EXPECT_EQ(percentile({7}, 99), 7);
  EXPECT_EQ(percentile({}, 50), 0);
}

// Every round runs every contestant once, each round starting with the
// next one, so no contestant always runs first (or right after another).
TEST(Bench, InterleavingRotates) {
  EXPECT_EQ(interleave(3, 0), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(interleave(3, 1), (std::vector<int>{1, 2, 0}));
  EXPECT_EQ(interleave(3, 2), (std::vector<int>{2, 0, 1}));
  EXPECT_EQ(interleave(2, 3), (std::vector<int>{1, 0}));
}

TEST(Bench, SummaryTakesTheMedianRoundAndPoolsLatencies) {
  std::vector<Round> rounds(3);
  double seconds[] = {1.0, 2.0, 4.0};
  for (int i = 0; i < 3; ++i) {
    rounds[size_t(i)].count = 10;
    rounds[size_t(i)].seconds = seconds[i];
    rounds[size_t(i)].cpu_ms = 50;
    rounds[size_t(i)].latencies_ms = {double(i + 1)};
    rounds[size_t(i)].peak_rss_kib = 1000 * (i + 1);
  }
  rounds[2].failed = 2;
  rounds[2].last_error = "boom";
  Summary s = summarize("x", Workload::burst, 8, rounds);
  EXPECT_EQ(s.count, 30);
  EXPECT_EQ(s.failed, 2);
  EXPECT_DOUBLE_EQ(s.containers_per_second, 5.0);  // rates 10, 5, 2: the median
  EXPECT_DOUBLE_EQ(s.p50_ms, 2.0);
  EXPECT_DOUBLE_EQ(s.cpu_ms_per_container, 5.0);
  EXPECT_EQ(s.peak_rss_kib, 3000);
  EXPECT_EQ(s.last_error, "boom");
}

TEST(Bench, RatiosAgainstTheBaselinePerWorkload) {
  std::vector<Summary> all = {summary("a", Workload::run, 100), summary("b", Workload::run, 50),
                              summary("a", Workload::burst, 10), summary("b", Workload::burst, 40)};
  set_ratios(all, "b");
  EXPECT_DOUBLE_EQ(all[0].ratio, 2.0);
  EXPECT_DOUBLE_EQ(all[1].ratio, 1.0);
  EXPECT_DOUBLE_EQ(all[2].ratio, 0.25);
  set_ratios(all, "");  // the first runtime of each workload
  EXPECT_DOUBLE_EQ(all[3].ratio, 4.0);
}

// The documented schema: results[], each with at least runtime, workload,
// count, failed, containers_per_second, p50_ms, p99_ms; names escaped.
TEST(Bench, JsonSchema) {
  std::vector<Summary> all = {summary("odd \"name\"", Workload::lifecycle, 3)};
  all[0].count = 5;
  all[0].failed = 1;
  all[0].last_error = "line\twith tab";
  std::string text = to_json(all);
  json::Document doc;
  ASSERT_TRUE(doc.parse(text)) << text;
  json::Array results;
  ASSERT_TRUE(doc.root()["results"].get(results));
  ASSERT_EQ(results.size(), 1u);
  auto r = results.at(0);
  std::string_view runtime, workload;
  ASSERT_TRUE(r["runtime"].get(runtime));
  EXPECT_EQ(runtime, "odd \"name\"");
  ASSERT_TRUE(r["workload"].get(workload));
  EXPECT_EQ(workload, "lifecycle");
  for (const char* key : {"count", "failed", "containers_per_second", "p50_ms", "p99_ms"}) {
    double v;
    EXPECT_TRUE(r[key].get(v)) << key;
  }
}

namespace {
// Tags balance, attributes are quoted, text has no raw '<' or '&': enough
// for a browser to draw it (the harness writes no comments or CDATA).
bool well_formed(const std::string& xml, std::string& why) {
  std::vector<std::string> open;
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] == '&') {
      size_t semi = xml.find(';', i);
      if (semi == std::string::npos || semi - i > 6) return why = "bare &", false;
    }
    if (xml[i] != '<') {
      ++i;
      continue;
    }
    size_t end = xml.find('>', i);
    if (end == std::string::npos) return why = "unclosed tag", false;
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return why = "empty tag", false;
    if (tag[0] == '?') continue;
    if (std::count(tag.begin(), tag.end(), '"') % 2)
      return why = "odd quotes in <" + tag + ">", false;
    if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1))
        return why = "mismatched </" + tag + ">", false;
      open.pop_back();
      continue;
    }
    if (tag.back() == '/') continue;
    open.push_back(tag.substr(0, tag.find(' ')));
  }
  if (!open.empty()) return why = "unclosed <" + open.back() + ">", false;
  return true;
}
}  // namespace

TEST(Bench, SvgIsWellFormedWithBothCharts) {
  std::vector<Summary> all = {summary("a<b&c", Workload::run, 100), summary("d", Workload::run, 50),
                              summary("a<b&c", Workload::burst, 200),
                              summary("d", Workload::burst, 150)};
  all[0].latencies_ms = {1, 2, 3};
  all[1].latencies_ms = {2, 4};
  all[2].parallel = 8;
  all[3].parallel = 8;
  std::string svg = to_svg(all);
  std::string why;
  EXPECT_TRUE(well_formed(svg, why)) << why << "\n" << svg;
  EXPECT_NE(svg.find("Latency CDF (run)"), std::string::npos);
  EXPECT_NE(svg.find("Throughput (burst)"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b&amp;c"), std::string::npos);
  size_t lines = 0;
  for (size_t at = 0; (at = svg.find("<polyline", at)) != std::string::npos; ++at) ++lines;
  EXPECT_EQ(lines, 4u);  // two CDFs, two throughput lines
}

TEST(Bench, RatiosCompareTheSameParallelism) {
  std::vector<Summary> all = {summary("a", Workload::burst, 100), summary("b", Workload::burst, 50),
                              summary("a", Workload::burst, 300),
                              summary("b", Workload::burst, 600)};
  all[2].parallel = all[3].parallel = 8;
  set_ratios(all, "a");
  EXPECT_DOUBLE_EQ(all[1].ratio, 0.5);
  EXPECT_DOUBLE_EQ(all[3].ratio, 2.0);
}
