#include "core/engine/effects.h"

#include <sched.h>

#include <csignal>

#include "cgroup/freezer.h"
#include "cgroup/manager.h"
#include "core/base/sys.h"

namespace ringc {

namespace {
class RealEffects final : public Effects {
 public:
  Result<void> launch(const cgroup::Host& host, const Prepared& p, const std::string& cg,
                      const std::string& fifo, const InitOptions& init, Launch& out,
                      const LaunchOptions& lo) override {
    return begin_launch(host, p, cg, fifo, init, out, lo);
  }
  Result<Spawned> clone_exec(const ExecPlan& plan) override { return ringc::clone_exec(plan); }
  bool mkdir_on_ring() const override { return true; }
  void signal(pid_t pid, int pidfd, int sig) override {
    if (pidfd >= 0)
      (void)sys::pidfd_send_signal(pidfd, sig);
    else
      (void)::kill(pid, sig);
  }
  void end_idle(pid_t pid) override {
    sched_param other{};
    (void)::sched_setscheduler(pid, SCHED_OTHER, &other);
  }
  bool may_end_idle() const override {
    static const bool may = sys::has_effective_cap(CAP_SYS_NICE);
    return may;
  }
  void signal_cgroup(const cgroup::Host& host, const std::string& cg, int sig) override {
    (void)cgroup::signal_all(host, cg, sig);
  }
  cgroup::Result<void> request_freeze(const cgroup::Host& host, const std::string& cg,
                                      bool frozen) override {
    return cgroup::request_freeze(host, cg, frozen);
  }
  cgroup::Result<bool> is_frozen(const cgroup::Host& host, const std::string& cg) override {
    return cgroup::is_frozen(host, cg);
  }
  Result<void> apply(const cgroup::Host& host, const std::string& cg,
                     const cgroup::Resources& r) override {
    if (auto w = cgroup::apply(host, cg, r, cgroup::Part::all); !w)
      return Error{w.error().code, "update: write " + w.error().file};
    return outcome::success();
  }
  Result<void> write_record(const Store& store, std::string_view id, const RecordFields& f,
                            bool sync) override {
    return store.write(id, f, sync);
  }
  bool records_on_ring() const override { return true; }
  Result<void> sync_claim(const Store& store, std::string_view id) override {
    return store.sync_claim(id);
  }
};
}  // namespace

Effects& real_effects() {
  static RealEffects real;
  return real;
}

}  // namespace ringc
