// A batch: N containers of one bundle through an engine, at most K in
// flight, each timed from create to running and from exit to deleted.
// The batch only launches and listens to notices; the owner turns the
// engine's crank (ringc batch in-process, or the daemon's loop).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/engine.h"

namespace ringc {

struct BatchOptions {
  std::string bundle = ".";
  uint64_t count = 0;
  unsigned parallel = 1;
  std::string prefix = "batch";
  bool keep = false;  // leave them running: done once each has exec'd
  // Warm network namespaces (EngineOptions::netns_pool) for a local
  // batch; a daemon's engine has its own.
  unsigned netns_pool = 0;
  // Recycled cgroup paths (EngineOptions::cgroup_pool), likewise.
  unsigned cgroup_pool = 0;
  // A daemon client's stdin, stdout and stderr, every container's (empty:
  // they inherit the engine's, as a local batch's inherit the CLI's).
  std::vector<SharedFd> stdio;
};

// The pool's counters as JSON (batch reports, the daemon's stats).
std::string netns_pool_json(const NetnsPoolStats& s);
std::string cgroup_pool_json(const CgroupPoolStats& s);

struct Percentiles {
  double p50 = 0, p95 = 0, p99 = 0, max = 0;  // milliseconds
};

struct BatchReport {
  uint64_t count = 0, ok = 0, failed = 0;
  double seconds = 0;
  double per_second = 0;
  Percentiles to_running;                   // launch → the user's program exec'd
  Percentiles to_deleted;                   // exit → nothing left (not with keep)
  std::vector<double> total_ms;             // launch → nothing left, per container that made it
  double cpu_ms_per_container = 0;          // this process and its reaped children
  double engine_cpu_ms_per_container = 0;   // this process alone
  double reactor_us_per_container = 0;      // the engine thread's own busy time (wall clock)
  double reactor_cpu_us_per_container = 0;  // the engine thread's CPU time
  double spawner_cpu_us_per_container = 0;  // the spawner's (0 without one)
  uint64_t peak_rss_kib = 0;
  // first failures, "id: reason", and how many more
  std::vector<std::string> failures;
  EngineStats engine;
};

// The report as one JSON line (`ringc batch --json`, the daemon's reply).
std::string batch_json(const BatchReport& r);

struct BatchProgress {
  uint64_t launched = 0, running = 0, done = 0, failed = 0;
};

class Batch {
 public:
  Batch(Engine& e, BatchOptions o, std::shared_ptr<const Prepared> p);
  // Launches until K are in flight or all N are launched.
  void pump();
  // Feed every engine notice here.
  void observe(const Notice& n);
  bool finished() const { return finished_ == opts_.count; }
  // Stops launching: the rest count as failed with `why`, and containers
  // in flight are killed and deleted (with keep, those already running
  // stay). The batch then finishes as they go.
  void interrupt(std::string_view why);
  const BatchProgress& progress() const { return progress_; }
  BatchReport report() const;

 private:
  struct Timing {
    int64_t launched = 0, running = 0, exited = 0, gone = 0;  // ns, steady clock
  };
  int64_t index_of(std::string_view id) const;
  void fail(uint64_t idx, std::string_view reason);

  Engine& engine_;
  BatchOptions opts_;
  std::shared_ptr<const Prepared> prepared_;
  std::string cgroup_base_;  // linux.cgroupsPath, under which each gets its own
  std::vector<Timing> timing_;
  std::vector<uint8_t> outcome_;  // 0 pending, 1 ok, 2 failed
  uint64_t next_ = 0, in_flight_ = 0, finished_ = 0;
  bool interrupted_ = false;
  BatchProgress progress_;
  std::vector<std::string> failures_;
  int64_t t0_ = 0;
  double self_cpu0_ = 0, kids_cpu0_ = 0, thread_cpu0_ = 0, spawner_cpu0_ = 0;  // ms, at the start
  EngineStats engine0_;  // the engine's counters at the start
};

// ringc batch: an engine of its own, run until the batch is finished.
Result<BatchReport> run_batch(Runtime& rt, const BatchOptions& o,
                              const std::function<void(const BatchProgress&)>& progress);

}  // namespace ringc
