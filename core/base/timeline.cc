#include "core/base/timeline.h"

#include <time.h>

#include <fmt/format.h>

namespace ringc {

void Timeline::mark(const char* phase) {
  auto now = std::chrono::steady_clock::now();
  add(phase, uint32_t(std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count()));
  last_ = now;
}

std::string Timeline::summary() const {
  std::string out;
  for (auto& e : entries_) out += fmt::format("{}{} {}us", out.empty() ? "" : ", ", e.phase, e.us);
  return out;
}

uint64_t monotonic_us() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return uint64_t(t.tv_sec) * 1'000'000 + uint64_t(t.tv_nsec) / 1000;
}

}  // namespace ringc
