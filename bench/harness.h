// `ringc bench`: any OCI runtime measured through its command line, round
// by round interleaved so that machine noise hits all contestants alike.
// Each runs with a --root of its own and is cleaned up after, failing or
// not. Process exits are ring completions (a pidfd poll, then wait4 for
// the process's own rusage).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/error.h"

namespace ringc::bench {

struct Contestant {
  enum class Kind {
    cli,             // an OCI runtime's command line at `path`
    physical_limit,  // no runtime: clone3 with the namespaces, a cgroup, pivot_root, exec, reap
    engine,          // ringc's engine in this process (`ringc batch`)
    daemon,          // ringc's command line through a `ringc daemon` the bench starts
  };
  Contestant(std::string n, std::string p, Kind k = Kind::cli, unsigned parked = 0)
      : name(std::move(n)), path(std::move(p)), kind(k), pool(parked) {}
  std::string name, path;
  Kind kind = Kind::cli;
  unsigned pool = 0;   // daemon: inits of the bundle kept parked (--pool); engine: pools on
                       // (network namespaces and cgroup paths, as many as in flight)
  std::string env;     // NAME=VALUE in its commands' environment (RINGC_BACKEND=epoll)
  std::string socket;  // daemon: where it listens (set by run())
};

enum class Workload {
  run,        // sequential `run` of the bundle
  lifecycle,  // create, start, wait for the exit, delete: one at a time
  burst,      // `run` of count containers, `parallel` in flight
  idle,       // `run -d` of count long-running containers, held, then all stopped
              // (TERM, KILL once the grace runs out, delete); latency is the stop's
};
inline constexpr std::string_view kWorkloadNames[] = {"run", "lifecycle", "burst", "idle"};
std::string_view name(Workload w);
bool parse_workload(std::string_view s, Workload& out);

struct Options {
  std::vector<Contestant> runtimes;
  std::vector<Workload> workloads = {Workload::run, Workload::burst};
  int count = 50;
  std::vector<int> parallel = {8};  // burst runs once per value
  int rounds = 3;
  int grace_ms = 2000;   // idle: TERM, then KILL after this
  std::string bundle;    // empty: a busybox bundle made in a temporary folder
  std::string baseline;  // ratios against this runtime; default: the first
  // crun refuses hybrid cgroups: with this the whole bench runs in a
  // private mount namespace with /sys/fs/cgroup/unified unmounted.
  bool hide_unified = false;
  // The runtimes' --root folders on a tmpfs of the bench's own (as /run
  // is on most hosts) instead of beside the bundle: ringc syncs its
  // records where the root outlives a reboot (runc and crun do not).
  bool state_tmpfs = false;
};

// One contestant, one workload, one round.
struct Round {
  int count = 0, failed = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;  // per container
  double cpu_ms = 0;                 // user+system of the runtime's processes
  long peak_rss_kib = 0;
  std::string last_error;
};

// Rounds folded into the figures the table and JSON show.
struct Summary {
  std::string runtime;
  Workload workload;
  int count = 0, failed = 0, parallel = 1;
  double containers_per_second = 0;  // median over rounds
  double p50_ms = 0, p95_ms = 0, p99_ms = 0;
  double cpu_ms_per_container = 0;
  long peak_rss_kib = 0;
  double ratio = 1;  // containers/s against the baseline's
  std::string last_error;
  std::vector<double> latencies_ms;  // sorted, for the CDF
};

// The order contestants run in: round r runs all of them, starting with
// a different one each round (A B C, B C A, C A B, ...).
std::vector<int> interleave(int contestants, int round);
Summary summarize(const std::string& runtime, Workload w, int parallel,
                  const std::vector<Round>& rounds);
// Fills in ratio against `baseline` (or the first runtime) per workload.
void set_ratios(std::vector<Summary>& s, const std::string& baseline);
std::string to_json(const std::vector<Summary>& s);
std::string to_table(const std::vector<Summary>& s);
// Two charts in one SVG: the latency CDF of each runtime (sequential run,
// or the first workload measured) and containers/s against parallelism
// (burst).
std::string to_svg(const std::vector<Summary>& s);

Result<std::vector<Summary>> run(const Options& o,
                                 const std::function<void(std::string_view)>& progress);

}  // namespace ringc::bench
