// The daemon's life: listening, recovery, the loop, and the answers to
// requests from the engine's notices.
#include "core/supervisor/daemon.h"

#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdio>
#include <ctime>

#include <fmt/format.h>

#include "cgroup/manager.h"
#include "core/base/json_quote.h"
#include "core/base/sys.h"
#include "core/spawn/shared_clone.h"
#include "core/store/observe.h"
#include "core/store/state_json.h"
#include "core/verbs/container.h"
#include "ring/ops.h"

namespace ringc {

namespace {
constexpr uint16_t kSignalTag = ring::kOtherTagBase + 0x100;

uint64_t rss_kib() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return uint64_t(ru.ru_maxrss);
}

uint64_t current_rss_kib() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? uint64_t(resident) * uint64_t(::sysconf(_SC_PAGESIZE)) / 1024 : 0;
}
std::string parked_json(const std::vector<ParkedStats>& pools) {
  std::string out;
  for (const ParkedStats& p : pools)
    out += fmt::format(
        "{}{{\"bundle\":{},\"size\":{},\"ready\":{},\"making\":{},\"hits\":{},"
        "\"misses\":{},\"made\":{},\"failed\":{},\"refill_ms\":{:.2f},"
        "\"refills_per_second\":{:.1f},\"memory_kib\":{},\"over_budget\":{},"
        "\"last_error\":{}}}",
        out.empty() ? "" : ",", json_quote(p.bundle), p.size, p.ready, p.making, p.hits, p.misses,
        p.made, p.failed, p.refill_ms, p.refills_per_second, p.memory_kib, p.over_budget,
        json_quote(p.last_error));
  return out;
}
}  // namespace

Result<void> Daemon::recover() {
  auto t0 = std::chrono::steady_clock::now();
  size_t live = 0, stopped = 0, removed = 0;
  for (const std::string& id : rt_.store().list()) {
    auto rec = rt_.store().read(id);
    struct stat dir {};
    if (!rec && rec.error().code == Errc::not_found &&
        ::stat(rt_.store().dir(id).c_str(), &dir) == 0 && ::time(nullptr) - dir.st_mtime > 10) {
      // Claimed but never recorded (a daemon died mid-create) or half
      // deleted: nothing can run there any more; remove what is left. (A
      // younger one may be a `ringc create` under way.)
      RINGC_TRY(auto host, rt_.cgroups());
      (void)cgroup::destroy(*host, cgroup::default_path(id));
      (void)rt_.store().remove(id);
      ++removed;
      continue;
    }
    if (!rec) continue;  // a corrupt record is left for `ringc delete` to report
    // A create under way in another process (a CLI's, on the same root):
    // its creator finishes or undoes it.
    if ((rec.value()->flags() & kRecordIntent) &&
        observed_state(rec.value().view()) == fsm::State::creating)
      continue;
    auto st = engine_.adopt(rec.value().view());
    if (!st) continue;
    // A parked init of a daemon before this one (killed before it could
    // remove them): no run will take it.
    if (id.starts_with(kParkedPrefix) && st.value() != fsm::State::deleting) {
      (void)engine_.request(id, fsm::Event::force_remove);
      ++removed;
      continue;
    }
    if (st.value() == fsm::State::stopped)
      ++stopped;
    else if (st.value() == fsm::State::deleting)
      ++removed;
    else
      ++live;
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (live + stopped + removed)
    std::fprintf(stderr,
                 "ringc daemon: recovered %zu running, %zu stopped, %zu half-made removed in "
                 "%.1f ms\n",
                 live, stopped, removed, ms);
  return outcome::success();
}

Result<void> Daemon::serve(ServerOptions o, const std::string& pid_file, int reaper_fd) {
  // Clients' sockets and the fds held for restarts: up to the hard limit.
  sys::raise_fd_limit();
  RINGC_TRY(auto ring, engine_.ring());
  reactor_ = ring::describe(ring->features());
  server_ = std::make_unique<Server>(*ring);
  std::string path = o.path;
  RINGC_TRY(server_->listen(std::move(o)));
  if (reaper_fd >= 0) {
    RINGC_TRY(engine_.attach_reaper(reaper_fd));
  }
  RINGC_TRY(recover());
  engine_.forget_early_exits();
  for (auto [bundle, count] : std::exchange(pools_, {})) {
    RINGC_TRY(park(bundle, count));
  }
  server_->on_line = [this](uint32_t c, std::string_view line) { on_line(c, line); };
  server_->on_close = [this](uint32_t c) { std::erase(subscribers_, c); };
  engine_.on_notice = [this](const Notice& n) { on_notice(n); };
  engine_.on_exec = [this](const ExecNotice& n) { on_exec(n); };

  // SIGTERM and SIGINT end the daemon (containers keep running; the next
  // daemon adopts them), read through the ring like everything else.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  int sfd = ::signalfd(-1, &set, SFD_CLOEXEC);
  signalfd_siginfo si{};
  ring::prep_read(*ring, ring::Token{0, 0, kSignalTag}.pack(), sfd, &si, sizeof si);
  engine_.on_other = [this](const ring::Completion& c) {
    if (ring::Token::unpack(c.user_data).tag == kSignalTag)
      stop_ = true;
    else
      server_->handle(c);
  };
  if (!pid_file.empty()) {
    std::string text = std::to_string(::getpid());
    FILE* f = std::fopen(pid_file.c_str(), "w");
    if (!f) return sys_error(errno, "pid file " + pid_file);
    std::fputs(text.c_str(), f);
    std::fclose(f);
  }
  std::printf("ringc daemon: listening on %s (reactor: %s)\n", path.c_str(), reactor_.c_str());
  std::fflush(stdout);
  while (!stop_) {
    RINGC_TRY(engine_.step());
    for (size_t i = 0; i < batches_.size();) {
      PendingBatch& b = batches_[i];
      b.batch->pump();
      if (!b.batch->finished()) {
        ++i;
        continue;
      }
      std::string json = batch_json(b.batch->report());
      json.pop_back();  // newline
      server_->send(b.client, reply_ok(b.seq, "\"report\":" + json));
      batches_.erase(batches_.begin() + long(i));
    }
  }
  // Parked inits go (no run will take them), with the deletions under way.
  engine_.unpark();
  // Deletions under way are finished (a record gone with its cgroup still
  // there would be lost to the next daemon); running containers stay.
  // A ring timer wakes each wait, so that a deletion stuck in the kernel
  // cannot hold the daemon past the deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto tick = ring::to_timespec(std::chrono::milliseconds(100));
  // Creates under way settle too (a parked init being made is removed
  // once made; a client's stays created, adopted by the next daemon).
  auto busy = [this] {
    EngineStats st = engine_.stats();
    return st.by_state[int(fsm::State::deleting)] + st.by_state[int(fsm::State::creating)] > 0;
  };
  while (busy() && std::chrono::steady_clock::now() < deadline) {
    ring::prep_timeout(*ring, ring::kIgnored, &tick);
    RINGC_TRY(engine_.step());
  }
  ::close(sfd);
  if (!pid_file.empty()) ::unlink(pid_file.c_str());
  return outcome::success();
}

void Daemon::on_line(uint32_t client, std::string_view line) {
  auto req = parse_request(line);
  if (!req) {
    server_->send(client, reply_error("null", req.error().what()));
    return;
  }
  if (auto r = dispatch(client, req.value()); !r)
    server_->send(client, reply_error(req.value().seq, r.error().what()));
}

namespace {
// Inits cloned in the daemon's own memory (core/spawn/shared_clone.h): the
// donors lent now, made, and retired (their init killed before its exec).
std::string shared_clone_json() {
  if (!shared_clone_enabled()) return "null";
  DonorCounts c = donor_counts();
  return fmt::format(R"({{"lent":{},"made":{},"retired":{}}})", c.lent, c.made, c.retired);
}
}  // namespace

std::string Daemon::stats_fields() const {
  EngineStats st = engine_.stats();
  std::string by_state;
  for (int i = 0; i < fsm::kStateCount; ++i)
    by_state += fmt::format("{}\"{}\":{}", i ? "," : "", fsm::name(fsm::State(i)), st.by_state[i]);
  return fmt::format(
      "\"containers\":{},\"by_state\":{{{}}},\"ops_in_flight\":{},\"queue_full\":{},"
      "\"completions\":{},\"launches\":{},\"spawner_launches\":{},\"clients\":{},\"held_fds\":{},"
      "\"rss_kib\":{},"
      "\"peak_rss_kib\":{},\"netns_pool\":{},\"cgroup_pool\":{},\"parked\":[{}],\"reactor\":{},"
      "\"shared_clone\":{}",
      engine_.size(), by_state, st.ops_in_flight, st.queue_full, st.completions, st.launches,
      st.spawned, server_->clients(), st.held_fds, current_rss_kib(), rss_kib(),
      netns_pool_json(st.netns), st.cgroups ? cgroup_pool_json(*st.cgroups) : "null",
      parked_json(st.parked), json_quote(reactor_), shared_clone_json());
}

void Daemon::on_notice(const Notice& n) {
  for (auto& b : batches_) b.batch->observe(n);
  if (!subscribers_.empty()) event_line(n);
  resolve(std::string(n.id), &n);
}

void Daemon::on_exec(const ExecNotice& n) {
  auto it = exec_waiters_.find(n.handle);
  if (it == exec_waiters_.end()) return;
  ExecWaiter& w = it->second;
  bool done = true;
  switch (n.state) {
    case fsm::ExecState::running:
      server_->send(w.client, reply_ok(w.seq, fmt::format("\"pid\":{}", n.pid)));
      done = !w.wait;
      break;
    case fsm::ExecState::exited:
      server_->send(w.client, reply_ok(w.seq, fmt::format("\"pid\":{},\"exit_code\":{}", n.pid,
                                                          n.exit_code)));
      break;
    case fsm::ExecState::failed:
      server_->send(w.client, reply_error(w.seq, n.error));
      break;
    default:
      done = false;
  }
  if (done) exec_waiters_.erase(it);
}

void Daemon::event_line(const Notice& n) {
  // An OOM kill is an event of its own, ahead of the exit it caused.
  if (n.event == fsm::Event::exited && n.oom_kills > 0) {
    std::string oom = fmt::format("{{\"event\":\"oom\",\"id\":{},\"oom_kills\":{}}}\n",
                                  json_quote(n.id), n.oom_kills);
    for (uint32_t c : subscribers_) server_->send(c, oom);
  }
  std::string line =
      fmt::format("{{\"event\":\"{}\",\"id\":{},\"from\":\"{}\",\"to\":\"{}\",\"cause\":\"{}\"",
                  n.gone ? "gone" : "transition", json_quote(n.id), fsm::name(n.from),
                  fsm::name(n.to), fsm::name(n.event));
  if (n.event == fsm::Event::exited) line += fmt::format(",\"exit_code\":{}", n.exit_code);
  if (n.oom_kills > 0) line += fmt::format(",\"oom_kills\":{}", n.oom_kills);
  if (!n.error.empty()) line += ",\"error\":" + json_quote(n.error);
  line += "}\n";
  for (uint32_t c : subscribers_) server_->send(c, line);
}

void Daemon::resolve(const std::string& id, const Notice* n) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  auto& list = it->second;
  auto v = engine_.view(id);
  std::string pid = fmt::format("\"pid\":{}", v ? v->pid : 0);
  for (size_t i = 0; i < list.size();) {
    Waiter& w = list[i];
    auto a = answer(w.wait, *n);
    if (!a) {
      ++i;
      continue;
    }
    std::string reply;
    if (!a->ok) {
      reply = reply_error(w.seq, a->error);
    } else {
      switch (w.wait.until) {
        case Until::created:
        case Until::running:
          reply = reply_ok(w.seq, pid);
          break;
        case Until::paused:
        case Until::resumed:
          reply = reply_ok(w.seq);
          break;
        case Until::exited:
        case Until::removed:
          reply = reply_ok(w.seq, fmt::format("\"exit_code\":{},{}", a->exit_code, pid));
          break;
        case Until::gone:
          reply =
              reply_ok(w.seq, a->warning.empty() ? "" : "\"warning\":" + json_quote(a->warning));
          break;
      }
    }
    server_->send(w.client, reply);
    list.erase(list.begin() + long(i));
  }
  if (list.empty()) waiters_.erase(it);
}

}  // namespace ringc
