// `ringc bench --svg`: two charts a person can read at a glance, drawn by
// hand (no dependency): the latency CDF per runtime, and containers/s
// against parallelism.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "bench/harness.h"
#include "core/store/state_json.h"

namespace ringc::bench {

namespace {
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                   "#9467bd", "#ff7f0e", "#8c564b"};
constexpr int kW = 440, kH = 320, kLeft = 60, kTop = 40, kPlotW = 350, kPlotH = 220;

// XML text: the runtime names come from the command line.
std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

// A round upper bound for an axis: 1, 2 or 5 times a power of ten.
double nice_max(double v) {
  if (v <= 0) return 1;
  double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (v <= m * p) return m * p;
  return 10 * p;
}

// Frame, title, axis labels and ticks of one chart at x offset ox.
std::string axes(int ox, const std::string& title, const std::string& xlabel,
                 const std::string& ylabel, double xmax, double ymax, bool y_percent) {
  std::string out = fmt::format(
      "<g transform=\"translate({},0)\"><text x=\"{}\" y=\"22\" font-size=\"14\" "
      "font-weight=\"bold\">{}</text><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
      "fill=\"none\" stroke=\"#444\"/>",
      ox, kLeft, esc(title), kLeft, kTop, kPlotW, kPlotH);
  for (int i = 0; i <= 4; ++i) {
    double fx = xmax * i / 4, fy = ymax * i / 4;
    int x = kLeft + kPlotW * i / 4, y = kTop + kPlotH - kPlotH * i / 4;
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{:g}</text>"
        "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{:g}{}</text>"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>",
        x, kTop + kPlotH + 14, fx, kLeft - 4, y + 3, y_percent ? fy * 100 : fy,
        y_percent ? "%" : "", kLeft, y, kLeft + kPlotW, y);
  }
  out += fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>"
      "<text x=\"14\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" "
      "transform=\"rotate(-90 14 {})\">{}</text>",
      kLeft + kPlotW / 2, kTop + kPlotH + 32, esc(xlabel), kTop + kPlotH / 2, kTop + kPlotH / 2,
      esc(ylabel));
  return out;
}

std::string polyline(const std::vector<std::pair<double, double>>& pts, double xmax, double ymax,
                     const char* color) {
  std::string p;
  for (auto [x, y] : pts)
    p += fmt::format("{:.1f},{:.1f} ", kLeft + kPlotW * std::min(x / xmax, 1.0),
                     kTop + kPlotH - kPlotH * std::min(y / ymax, 1.0));
  return fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
                     color, p);
}
}  // namespace

std::string to_svg(const std::vector<Summary>& all) {
  std::vector<std::string> runtimes;
  for (auto& s : all)
    if (std::find(runtimes.begin(), runtimes.end(), s.runtime) == runtimes.end())
      runtimes.push_back(s.runtime);
  auto color = [&](const std::string& r) {
    size_t i = size_t(std::find(runtimes.begin(), runtimes.end(), r) - runtimes.begin());
    return kColors[i % std::size(kColors)];
  };
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
      "width=\"{}\" height=\"{}\" font-family=\"sans-serif\">\n<rect width=\"100%\" "
      "height=\"100%\" fill=\"white\"/>\n",
      2 * kW, kH + 30);
  // Left: CDF of the sequential workload (or the first one measured).
  Workload cdf_w = all.empty() ? Workload::run : all.front().workload;
  for (auto& s : all)
    if (s.workload == Workload::run) cdf_w = Workload::run;
  double xmax = 0;
  for (auto& s : all)
    if (s.workload == cdf_w && !s.latencies_ms.empty())
      xmax = std::max(xmax, s.latencies_ms[size_t(double(s.latencies_ms.size() - 1) * 0.99)]);
  xmax = nice_max(xmax);
  out += axes(0, fmt::format("Latency CDF ({})", name(cdf_w)), "milliseconds per container",
              "containers done", xmax, 1, true);
  for (auto& s : all) {
    if (s.workload != cdf_w || s.latencies_ms.empty()) continue;
    std::vector<std::pair<double, double>> pts;
    size_t n = s.latencies_ms.size();
    for (size_t i = 0; i < n; ++i) pts.emplace_back(s.latencies_ms[i], double(i + 1) / double(n));
    out += polyline(pts, xmax, 1, color(s.runtime));
  }
  out += "</g>\n";
  // Right: burst containers/s against K.
  std::map<std::string, std::vector<std::pair<double, double>>> lines;
  double kmax = 0, rmax = 0;
  for (auto& s : all) {
    if (s.workload != Workload::burst) continue;
    lines[s.runtime].emplace_back(s.parallel, s.containers_per_second);
    kmax = std::max(kmax, double(s.parallel));
    rmax = std::max(rmax, s.containers_per_second);
  }
  kmax = nice_max(kmax);
  rmax = nice_max(rmax);
  out += axes(kW, "Throughput (burst)", "containers in flight", "containers/s", kmax, rmax, false);
  for (auto& [runtime, pts] : lines) {
    out += polyline(pts, kmax, rmax, color(runtime));
    for (auto [x, y] : pts)
      out +=
          fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>",
                      kLeft + kPlotW * x / kmax, kTop + kPlotH - kPlotH * y / rmax, color(runtime));
  }
  out += "</g>\n";
  // Legend.
  for (size_t i = 0; i < runtimes.size(); ++i)
    out += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" "
        "y=\"{}\" font-size=\"12\">{}</text>\n",
        kLeft + 120 * int(i), kH, color(runtimes[i]), kLeft + 16 + 120 * int(i), kH + 11,
        esc(runtimes[i]));
  return out + "</svg>\n";
}

}  // namespace ringc::bench
