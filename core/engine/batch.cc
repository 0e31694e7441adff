#include "core/engine/batch.h"

#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>

#include "cgroup/manager.h"
#include "core/base/sys.h"
#include "core/store/observe.h"
#include "ring/ops.h"

namespace ringc {

namespace {
int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Nearest-rank percentiles of durations in ns, reported in ms.
Percentiles percentiles(std::vector<int64_t> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t rank = size_t(std::ceil(q * double(v.size())));
    return double(v[std::clamp<size_t>(rank, 1, v.size()) - 1]) / 1e6;
  };
  p.p50 = at(0.50);
  p.p95 = at(0.95);
  p.p99 = at(0.99);
  p.max = double(v.back()) / 1e6;
  return p;
}

// CPU time of the calling thread: the reactor's own, without the
// kernel's io-wq workers (also this process's threads) or preemption.
double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

// The spawner's CPU time: a child the engine reaps only when it stops, so
// RUSAGE_CHILDREN does not hold it yet.
double spawner_cpu_ms(const Engine& e) {
  pid_t pid = e.spawner_pid();
  auto ticks = pid > 0 ? process_cpu_ticks(pid) : std::nullopt;
  return ticks ? double(*ticks) * 1e3 / double(::sysconf(_SC_CLK_TCK)) : 0;
}

double cpu_ms(int who) {
  rusage r{};
  ::getrusage(who, &r);
  return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e3 +
         double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e3;
}
}  // namespace

Batch::Batch(Engine& e, BatchOptions o, std::shared_ptr<const Prepared> p)
    : engine_(e), opts_(std::move(o)), prepared_(std::move(p)) {
  timing_.resize(opts_.count);
  outcome_.resize(opts_.count);
  const std::string& cp = prepared_->spec.linux_cfg.cgroups_path;
  if (!cp.empty()) cgroup_base_ = cgroup::resolve_path(cp, opts_.prefix);
  t0_ = now_ns();
  self_cpu0_ = cpu_ms(RUSAGE_SELF);
  kids_cpu0_ = cpu_ms(RUSAGE_CHILDREN);
  thread_cpu0_ = thread_cpu_ms();
  spawner_cpu0_ = spawner_cpu_ms(engine_);
  engine0_ = engine_.stats();
}

void Batch::pump() {
  while (next_ < opts_.count && in_flight_ < opts_.parallel) {
    uint64_t idx = next_++;
    LaunchRequest req;
    req.id = fmt::format("{}-{}", opts_.prefix, idx);
    req.prepared = prepared_;
    req.templated = true;
    req.cgroup_path =
        cgroup_base_.empty() ? cgroup::default_path(req.id) : cgroup_base_ + "/" + req.id;
    req.start = true;
    req.remove_on_exit = !opts_.keep;
    if (!opts_.stdio.empty()) {
      req.flags.fds = opts_.stdio;
      req.flags.stdio = true;
    }
    timing_[idx].launched = now_ns();
    ++progress_.launched;
    ++in_flight_;
    if (auto r = engine_.launch(std::move(req)); !r) {
      fail(idx, r.error().what());
      --in_flight_;
      ++finished_;
    }
  }
}

void Batch::interrupt(std::string_view why) {
  if (interrupted_) return;
  interrupted_ = true;
  for (uint64_t idx = 0; idx < next_; ++idx) {
    if (outcome_[idx] == 1 || timing_[idx].gone) continue;
    if (opts_.keep && timing_[idx].running) continue;
    fail(idx, why);
    // A container still being created finishes that first; the table
    // refuses the delete then, and it runs and goes as usual.
    (void)engine_.request(fmt::format("{}-{}", opts_.prefix, idx), fsm::Event::force_remove);
  }
  for (uint64_t idx = next_; idx < opts_.count; ++idx) {
    fail(idx, why);
    ++finished_;
  }
  next_ = opts_.count;
}

int64_t Batch::index_of(std::string_view id) const {
  if (id.size() <= opts_.prefix.size() + 1 || !id.starts_with(opts_.prefix) ||
      id[opts_.prefix.size()] != '-')
    return -1;
  std::string_view num = id.substr(opts_.prefix.size() + 1);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
  if (ec != std::errc() || end != num.data() + num.size() || v >= opts_.count) return -1;
  return int64_t(v);
}

void Batch::fail(uint64_t idx, std::string_view reason) {
  if (outcome_[idx] == 2) return;
  outcome_[idx] = 2;
  ++progress_.failed;
  if (failures_.size() < 10)
    failures_.push_back(fmt::format("{}-{}: {}", opts_.prefix, idx, reason));
}

void Batch::observe(const Notice& n) {
  int64_t i = index_of(n.id);
  if (i < 0 || outcome_[size_t(i)] == 1) return;  // not ours, or kept and done
  Timing& t = timing_[size_t(i)];
  if (n.event == fsm::Event::exec_done && n.to == fsm::State::running && t.running == 0) {
    t.running = now_ns();
    ++progress_.running;
    if (opts_.keep) {
      outcome_[size_t(i)] = 1;
      ++progress_.done;
      --in_flight_;
      ++finished_;
    }
  }
  if (n.event == fsm::Event::exited && t.exited == 0) {
    t.exited = now_ns();
    if (n.exit_code != 0)
      fail(size_t(i), n.error.empty() ? fmt::format("exited with code {}", n.exit_code)
                                      : std::string(n.error));
  }
  if (!n.gone) return;
  t.gone = now_ns();
  if (!n.error.empty())
    fail(size_t(i), n.error);
  else if (t.running == 0)
    fail(size_t(i), "ended before its program ran");
  if (outcome_[size_t(i)] == 0) {
    outcome_[size_t(i)] = 1;
    ++progress_.done;
  }
  --in_flight_;
  ++finished_;
}

BatchReport Batch::report() const {
  BatchReport r;
  r.count = opts_.count;
  std::vector<int64_t> run, del;
  for (size_t i = 0; i < timing_.size(); ++i) {
    const Timing& t = timing_[i];
    if (outcome_[i] == 1) ++r.ok;
    if (outcome_[i] == 2) ++r.failed;
    if (t.running) run.push_back(t.running - t.launched);
    if (t.gone && t.exited) del.push_back(t.gone - t.exited);
    if (outcome_[i] == 1 && t.gone) r.total_ms.push_back(double(t.gone - t.launched) / 1e6);
  }
  r.to_running = percentiles(std::move(run));
  r.to_deleted = percentiles(std::move(del));
  r.seconds = double(now_ns() - t0_) / 1e9;
  r.per_second = r.seconds > 0 ? double(r.ok) / r.seconds : 0;
  r.failures = failures_;
  if (r.failed > failures_.size())
    r.failures.push_back(fmt::format("... and {} more", r.failed - failures_.size()));
  // This batch's share of the engine's counters (a daemon's engine has
  // run other containers before).
  r.engine = engine_.stats();
  for (int i = 0; i < kPhaseCount; ++i) r.engine.phase_ns[i] -= engine0_.phase_ns[i];
  r.engine.launches -= engine0_.launches;
  r.engine.spawned -= engine0_.spawned;
  r.engine.queue_full -= engine0_.queue_full;
  r.engine.completions -= engine0_.completions;
  for (int k = 0; k < kChildPhaseCount; ++k) r.engine.init_us[k] -= engine0_.init_us[k];
  r.engine.inits_ready -= engine0_.inits_ready;
  r.engine.netns.hits -= engine0_.netns.hits;
  r.engine.netns.misses -= engine0_.netns.misses;
  r.engine.netns.recycled -= engine0_.netns.recycled;
  r.engine.netns.discarded -= engine0_.netns.discarded;
  if (r.count) {
    double n = double(r.count);
    r.reactor_us_per_container = double(r.engine.phase_ns[int(Phase::busy)]) / 1e3 / n;
    double self = cpu_ms(RUSAGE_SELF) - self_cpu0_, kids = cpu_ms(RUSAGE_CHILDREN) - kids_cpu0_;
    double spawner = std::max(0.0, spawner_cpu_ms(engine_) - spawner_cpu0_);
    r.cpu_ms_per_container = (self + kids + spawner) / n;
    r.spawner_cpu_us_per_container = spawner * 1e3 / n;
    r.engine_cpu_ms_per_container = self / n;
    r.reactor_cpu_us_per_container = (thread_cpu_ms() - thread_cpu0_) * 1e3 / n;
  }
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  r.peak_rss_kib = uint64_t(ru.ru_maxrss);
  return r;
}

Result<BatchReport> run_batch(Runtime& rt, const BatchOptions& o,
                              const std::function<void(const BatchProgress&)>& progress) {
  RINGC_TRY(auto p, prepare(o.prefix + "-0", o.bundle));
  RINGC_TRY(Engine::supports(p));
  // SIGINT, SIGTERM and SIGHUP stop the batch: what is in flight is killed
  // and deleted, read through the ring like everything else. (The read's
  // buffer and fd outlive the engine, whose ring cancels the read.)
  sigset_t stop, old;
  sigemptyset(&stop);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop, sig);
  ::sigprocmask(SIG_BLOCK, &stop, &old);
  sys::UniqueFd sfd(::signalfd(-1, &stop, SFD_CLOEXEC));
  if (sfd.get() < 0) return sys_error(errno, "signalfd");
  signalfd_siginfo si{};
  Engine engine(
      rt, EngineOptions{
              .netns_pool = o.netns_pool, .cgroup_pool = o.cgroup_pool, .shared_clone = true});
  RINGC_TRY(auto ring, engine.ring());
  Batch batch(engine, o, std::make_shared<const Prepared>(std::move(p)));
  engine.on_notice = [&batch](const Notice& n) { batch.observe(n); };
  constexpr uint16_t kSignalTag = ring::kOtherTagBase + 0x100;
  ring::prep_read(*ring, ring::Token{0, 0, kSignalTag}.pack(), sfd.get(), &si, sizeof si);
  engine.on_other = [&](const ring::Completion& c) {
    if (ring::Token::unpack(c.user_data).tag == kSignalTag && c.res > 0)
      batch.interrupt(fmt::format("interrupted by SIG{}", sigabbrev_np(int(si.ssi_signo))));
  };
  batch.pump();
  while (!batch.finished()) {
    RINGC_TRY(engine.step());
    batch.pump();
    if (progress) progress(batch.progress());
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return batch.report();
}

}  // namespace ringc
