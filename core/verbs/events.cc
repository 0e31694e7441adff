#include "core/verbs/events.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/base/sys.h"
#include "core/store/observe.h"
#include "core/verbs/container.h"
#include "ring/ops.h"

namespace ringc {

namespace {
void entries(std::string& out, const std::vector<cgroup::BlkioEntry>& v) {
  out += '[';
  for (size_t i = 0; i < v.size(); ++i)
    out += fmt::format("{}{{\"major\":{},\"minor\":{},\"op\":\"{}\",\"value\":{}}}", i ? "," : "",
                       v[i].major, v[i].minor, v[i].op, v[i].value);
  out += ']';
}

// OOM notifications: v2 memory.events (POLLPRI on change), v1 an eventfd
// registered for memory.oom_control through cgroup.event_control. v1
// notifies on every charge that fails while the cgroup is out of memory
// (thousands while one victim exits), so both report a kill by the
// cgroup's oom_kill count going up, as `state` counts them.
struct OomWatch {
  int fd = -1;        // what the ring waits on
  bool v2 = false;    // poll fd for POLLPRI; else read the eventfd
  uint64_t seen = 0;  // oom_kill count already reported
  ~OomWatch() {
    if (fd >= 0) ::close(fd);
  }
};

void watch_oom(const cgroup::Host& host, std::string_view path, OomWatch& w) {
  if (host.layout == cgroup::Layout::unified) {
    if (!host.v2()) return;  // no cgroup (a rootless container)
    std::string f = host.v2()->mount + std::string(path) + "/memory.events";
    w.fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    w.v2 = true;
    return;
  }
  const cgroup::Hierarchy* h = host.v1("memory");
  if (!h) return;
  std::string dir = h->mount + std::string(path);
  int efd = ::eventfd(0, EFD_CLOEXEC);  // read on the ring only
  int ofd = ::open((dir + "/memory.oom_control").c_str(), O_RDONLY | O_CLOEXEC);
  int cfd = ::open((dir + "/cgroup.event_control").c_str(), O_WRONLY | O_CLOEXEC);
  if (efd >= 0 && ofd >= 0 && cfd >= 0) {
    std::string reg = fmt::format("{} {}", efd, ofd);
    if (::write(cfd, reg.data(), reg.size()) == ssize_t(reg.size())) w.fd = efd, efd = -1;
  }
  for (int fd : {efd, ofd, cfd})
    if (fd >= 0) ::close(fd);
}
}  // namespace

std::string stats_event_json(std::string_view id, const cgroup::Stats& s) {
  std::string out = fmt::format(
      "{{\"type\":\"stats\",\"id\":\"{}\",\"data\":{{\"cpu\":{{\"usage\":{{\"total\":{},\"percpu\":"
      "[",
      id, s.cpu.total);
  for (size_t i = 0; i < s.cpu.percpu.size(); ++i)
    out += fmt::format("{}{}", i ? "," : "", s.cpu.percpu[i]);
  out += fmt::format(
      "],\"kernel\":{},\"user\":{}}},\"throttling\":{{\"periods\":{},\"throttled_periods\":{},"
      "\"throttled_time\":{}}}}},",
      s.cpu.kernel, s.cpu.user, s.cpu.periods, s.cpu.throttled_periods, s.cpu.throttled_time);
  out += fmt::format(
      "\"memory\":{{\"cache\":{},\"usage\":{{\"limit\":{},\"usage\":{},\"max\":{},\"failcnt\":{}}},"
      "\"swap\":{{\"limit\":{},\"usage\":{}}},\"raw\":{{",
      s.memory.cache, s.memory.limit, s.memory.usage, s.memory.max, s.memory.failcnt,
      s.memory.swap_limit, s.memory.swap_usage);
  for (size_t i = 0; i < s.memory.raw.size(); ++i)
    out += fmt::format("{}\"{}\":{}", i ? "," : "", s.memory.raw[i].first, s.memory.raw[i].second);
  out += fmt::format(
      "}}}},\"pids\":{{\"current\":{},\"limit\":{}}},\"blkio\":{{\"ioServiceBytesRecursive\":",
      s.pids.current, s.pids.limit);
  entries(out, s.io_service_bytes);
  out += ",\"ioServicedRecursive\":";
  entries(out, s.io_serviced);
  out += "},\"hugetlb\":{";
  for (size_t i = 0; i < s.hugetlb.size(); ++i) {
    const auto& h = s.hugetlb[i];
    out += fmt::format("{}\"{}\":{{\"usage\":{},\"max\":{},\"failcnt\":{}}}", i ? "," : "", h.size,
                       h.usage, h.max, h.failcnt);
  }
  out += "}}}";
  return out;
}

Result<std::string> stats_event(Runtime& rt, std::string_view id) {
  RINGC_TRY(auto rec, load_record(rt, id));
  fsm::State s = observed_state(rec.view());
  if (s == fsm::State::stopped)
    return ringc_error(Errc::invalid_transition,
                       fmt::format("container \"{}\" is not running", id));
  RINGC_TRY(auto host, rt.cgroups());
  auto stats = cgroup::read_stats(cgroup::of(*host, rec->cgroup()), rec->cgroup());
  if (!stats) return Error{stats.error(), fmt::format("stats of container \"{}\"", id)};
  return stats_event_json(id, stats.value());
}

Result<void> stream_events(Runtime& rt, std::string_view id, std::chrono::milliseconds interval,
                           const std::function<void(const std::string&)>& emit) {
  RINGC_TRY(auto rec, load_record(rt, id));
  sys::UniqueFd owned_pidfd(open_pidfd(rec.view()));
  const int pidfd = owned_pidfd.get();
  if (pidfd < 0)
    return ringc_error(Errc::invalid_transition,
                       fmt::format("container \"{}\" is not running", id));
  std::string cgroup_path(rec->cgroup());
  RINGC_TRY(auto detected, rt.cgroups());
  const cgroup::Host* host = &cgroup::of(*detected, cgroup_path);
  RINGC_TRY(auto ring, rt.ring());
  OomWatch oom;
  watch_oom(*host, cgroup_path, oom);
  oom.seen = cgroup::oom_kills(*host, cgroup_path);
  // One "oom" line per kill the cgroup counted since the last look.
  auto report_kills = [&] {
    uint64_t now = cgroup::oom_kills(*host, cgroup_path);
    bool any = oom.seen < now;
    for (; oom.seen < now; ++oom.seen) emit(fmt::format("{{\"type\":\"oom\",\"id\":\"{}\"}}", id));
    return any;
  };
  constexpr uint64_t kExit = 1, kTick = 2, kOom = 3, kRecount = 4;
  auto ts = ring::to_timespec(interval);
  // v1 notifies before its OOM killer picks (and counts) a victim: a
  // notification that finds no new kill looks again once, a moment later.
  auto recount_ts = ring::to_timespec(std::chrono::milliseconds(20));
  bool recount_armed = false;
  uint64_t evcount = 0;
  auto arm_oom = [&] {
    if (oom.fd < 0) return true;
    return oom.v2 ? ring::prep_poll(*ring, kOom, oom.fd, POLLPRI | POLLERR)
                  : ring::prep_read(*ring, kOom, oom.fd, &evcount, sizeof evcount);
  };
  if (!ring::prep_poll_in(*ring, kExit, pidfd) || !ring::prep_timeout(*ring, kTick, &ts) ||
      !arm_oom())
    return sys_error(EBUSY, "io_uring: no submission entry");
  ring::Completion batch[8];
  bool exited = false;
  while (!exited) {
    if (auto w = ring->wait(); !w) return Error{w.error(), "io_uring"};
    unsigned n = ring->reap(batch, 8);
    for (unsigned i = 0; i < n; ++i) {
      switch (batch[i].user_data) {
        case kExit:
          exited = true;  // the rest of the batch still counts
          break;
        case kTick:
          report_kills();
          if (auto s = cgroup::read_stats(*host, cgroup_path))
            emit(stats_event_json(id, s.value()));
          ring::prep_timeout(*ring, kTick, &ts);
          break;
        case kOom:
          if (oom.v2) {
            char buf[512];
            (void)::pread(oom.fd, buf, sizeof buf, 0);  // re-arm the notification
          }
          if (!report_kills() && !recount_armed)
            recount_armed = ring::prep_timeout(*ring, kRecount, &recount_ts);
          // A failed wait is not retried: it would fail again at once.
          if (!exited && batch[i].res >= 0) arm_oom();
          break;
        case kRecount:
          recount_armed = false;
          report_kills();
          break;
        default:
          break;
      }
    }
  }
  // An OOM kill of the init itself may be counted after its exit.
  report_kills();
  return outcome::success();
}

}  // namespace ringc
