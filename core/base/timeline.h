// Phase timings of one operation (parent phases and the ones the child
// reports in its handshake), printed by --debug and read by benchmarks.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringc {

class Timeline {
 public:
  Timeline() : last_(std::chrono::steady_clock::now()) {}
  // Records the time since the previous mark under `phase` (a literal).
  void mark(const char* phase);
  void add(const char* phase, uint32_t us) { entries_.push_back({phase, us}); }
  // "claim 41us, cgroup 512us, ..."
  std::string summary() const;
  template <class F>
  void each(F&& f) const {
    for (const Entry& e : entries_) f(e.phase, e.us);
  }

 private:
  struct Entry {
    const char* phase;
    uint32_t us;
  };
  std::vector<Entry> entries_;
  std::chrono::steady_clock::time_point last_;
};

// Microseconds of CLOCK_MONOTONIC, for the child's own phase marks.
uint64_t monotonic_us();

}  // namespace ringc
