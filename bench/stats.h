// Order statistics for benchmark samples.
#pragma once

#include <algorithm>
#include <numeric>
#include <vector>

namespace ringc::bench {

// Nearest-rank percentile (p in [0, 100]); 0 for no samples.
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = size_t(p / 100.0 * double(v.size()) + 0.999999);
  if (rank == 0) rank = 1;
  return v[std::min(rank, v.size()) - 1];
}

inline double mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

}  // namespace ringc::bench
