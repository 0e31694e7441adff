// ringc daemon: the engine as a service. One thread, one ring: the socket
// server, the containers and the daemon's own signals all complete there.
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <climits>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "cgroup/manager.h"
#include "cli/args.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "cli/protocol.h"
#include "core/base/sys.h"
#include "core/engine/answer.h"
#include "core/engine/batch.h"
#include "core/store/observe.h"
#include "core/store/state_json.h"
#include "core/supervisor/reaper.h"
#include "core/supervisor/server.h"
#include "core/verbs/container.h"
#include "ring/ops.h"

namespace ringc::cli {

namespace {
constexpr uint16_t kSignalTag = ring::kOtherTagBase + 0x100;

struct Waiter {
  uint32_t client;
  std::string seq;
  Awaiting wait;
};

struct PendingBatch {
  std::unique_ptr<Batch> batch;
  uint32_t client;
  std::string seq;
};

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

class Daemon {
 public:
  explicit Daemon(Runtime& rt) : rt_(rt), engine_(rt) {}

  Result<void> serve(ServerOptions o, const std::string& pid_file, int reaper_fd);

 private:
  void on_line(uint32_t client, std::string_view line);
  Result<void> dispatch(uint32_t client, const Request& r);
  Result<void> take_fds(uint32_t client, const Request& r, InitFlags& f);
  // Registers the waiter first: the engine may settle it before it returns.
  template <class F>
  Result<void> wait_for(uint32_t client, const Request& r, Until until, F&& act);
  void on_notice(const Notice& n);
  void resolve(const std::string& id, const Notice* n);
  void event_line(const Notice& n);
  std::string stats_fields() const;
  Result<void> recover();

  Runtime& rt_;
  Engine engine_;
  std::unique_ptr<Server> server_;
  std::unordered_map<std::string, std::vector<Waiter>> waiters_;
  std::vector<uint32_t> subscribers_;
  std::vector<PendingBatch> batches_;
  bool stop_ = false;
};

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
  server_ = std::make_unique<Server>(*ring);
  std::string path = o.path;
  RINGC_TRY(server_->listen(std::move(o)));
  if (reaper_fd >= 0) {
    RINGC_TRY(engine_.attach_reaper(reaper_fd));
  }
  RINGC_TRY(recover());
  engine_.forget_early_exits();
  server_->on_line = [this](uint32_t c, std::string_view line) { on_line(c, line); };
  server_->on_close = [this](uint32_t c) { std::erase(subscribers_, c); };
  engine_.on_notice = [this](const Notice& n) { on_notice(n); };

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
  std::printf("ringc daemon: listening on %s\n", path.c_str());
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
  // Deletions under way are finished (a record gone with its cgroup still
  // there would be lost to the next daemon); running containers stay.
  // A ring timer wakes each wait, so that a deletion stuck in the kernel
  // cannot hold the daemon past the deadline.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  auto tick = ring::to_timespec(std::chrono::milliseconds(100));
  while (engine_.stats().by_state[int(fsm::State::deleting)] &&
         std::chrono::steady_clock::now() < deadline) {
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

template <class F>
Result<void> Daemon::wait_for(uint32_t client, const Request& r, Until until, F&& act) {
  waiters_[r.id].push_back({client, r.seq, {until, kNoExitYet, {}}});
  auto result = act();
  if (!result) {
    // Refused, so nothing settled it: it is still the last one registered.
    auto it = waiters_.find(r.id);
    if (it != waiters_.end() && !it->second.empty() && it->second.back().client == client &&
        it->second.back().seq == r.seq)
      it->second.pop_back();
    if (it != waiters_.end() && it->second.empty()) waiters_.erase(it);
  }
  return result;
}

// The fds a create or run declares, sent with it (SCM_RIGHTS).
Result<void> Daemon::take_fds(uint32_t client, const Request& r, InitFlags& f) {
  size_t want = (r.stdio ? 3 : 0) + r.fds;
  for (auto& fd : server_->take_fds(client, want))
    f.fds.push_back(std::make_shared<const sys::UniqueFd>(std::move(fd)));
  if (f.fds.size() < want)
    return ringc_error(Errc::bad_usage,
                       fmt::format("request: /fds: {} fds declared, {} sent with the request", want,
                                   f.fds.size()));
  f.stdio = r.stdio;
  f.listen_fds = unsigned(r.listen_fds);
  return outcome::success();
}

Result<void> Daemon::dispatch(uint32_t client, const Request& r) {
  const std::string& op = r.op;
  auto need_id = [&]() -> Result<void> {
    if (r.id.empty()) return ringc_error(Errc::bad_usage, "request: /id: missing");
    return outcome::success();
  };
  // A container a CLI made in this root since the daemon started is taken
  // over by the first request that names it (delete also takes a damaged
  // one, below).
  if (op != "create" && op != "run" && op != "batch" && !r.id.empty() && !engine_.has(r.id) &&
      rt_.store().exists(r.id))
    (void)engine_.take_over(r.id, false);
  if (op == "create" || op == "run") {
    LaunchRequest lr;
    RINGC_TRY(take_fds(client, r, lr.flags));  // first: a refused request takes its fds too
    RINGC_TRY(need_id());
    RINGC_TRY(auto p, prepare(r.id, r.bundle.empty() ? std::string(".") : r.bundle));
    lr.id = r.id;
    lr.cgroup_path = p.cgroup_path;
    lr.prepared = std::make_shared<const Prepared>(std::move(p));
    lr.start = op == "run";
    lr.remove_on_exit = r.rm;
    lr.restart = r.restart;
    lr.flags.console_socket = r.console_socket;
    lr.flags.pidfd_socket = r.pidfd_socket;
    lr.flags.no_pivot = r.no_pivot;
    lr.flags.no_new_keyring = r.no_new_keyring;
    Until until = op == "create" ? Until::created
                  : !r.wait      ? Until::running
                  : r.rm         ? Until::removed
                                 : Until::exited;
    return wait_for(client, r, until, [&] { return engine_.launch(std::move(lr)); });
  }
  if (op == "start") {
    RINGC_TRY(need_id());
    return wait_for(client, r, Until::running,
                    [&] { return engine_.request(r.id, fsm::Event::start); });
  }
  if (op == "pause" || op == "resume") {
    RINGC_TRY(need_id());
    bool pause = op == "pause";
    return wait_for(client, r, pause ? Until::paused : Until::resumed, [&] {
      return engine_.request(r.id, pause ? fsm::Event::pause : fsm::Event::resume);
    });
  }
  if (op == "kill") {
    RINGC_TRY(need_id());
    int sig = parse_signal(r.signal);
    if (sig < 0)
      return ringc_error(Errc::bad_usage, fmt::format("invalid signal \"{}\"", r.signal));
    if (r.grace_ms) {
      RINGC_TRY(
          engine_.request(r.id, fsm::Event::stop, sig, std::chrono::milliseconds(*r.grace_ms)));
    } else {
      RINGC_TRY(engine_.request(r.id, r.all ? fsm::Event::kill_all : fsm::Event::kill, sig));
    }
    server_->send(client, reply_ok(r.seq));
    return outcome::success();
  }
  if (op == "delete") {
    RINGC_TRY(need_id());
    return wait_for(client, r, Until::gone, [&]() -> Result<void> {
      // Made by a CLI since this daemon started, or damaged: taken over.
      if (!engine_.has(r.id) && rt_.store().exists(r.id)) {
        RINGC_TRY(engine_.take_over(r.id, r.force));
      }
      return engine_.request(r.id, r.force ? fsm::Event::force_remove : fsm::Event::remove);
    });
  }
  if (op == "wait") {
    RINGC_TRY(need_id());
    auto v = engine_.view(r.id);
    if (!v)
      return ringc_error(Errc::not_found, fmt::format("container \"{}\" does not exist", r.id));
    if (v->state == fsm::State::stopped)
      server_->send(client, reply_ok(r.seq, fmt::format("\"exit_code\":{}", v->exit_code)));
    else
      waiters_[r.id].push_back({client, r.seq, {Until::exited, kNoExitYet, {}}});
    return outcome::success();
  }
  if (op == "state") {
    RINGC_TRY(need_id());
    RINGC_TRY(auto json, state(rt_, r.id, false));
    auto v = engine_.view(r.id);
    std::string extra =
        v ? fmt::format(",\"engine\":{{\"state\":\"{}\",\"exit_code\":{},\"restarts\":{}}}",
                        fsm::name(v->state), v->exit_code, v->restarts)
          : "";
    server_->send(client, reply_ok(r.seq, "\"state\":" + json + extra));
    return outcome::success();
  }
  if (op == "list") {
    std::string arr = "[";
    for (auto& e : list(rt_)) arr += (arr.size() > 1 ? "," : "") + e.json;
    server_->send(client, reply_ok(r.seq, "\"containers\":" + arr + "]"));
    return outcome::success();
  }
  if (op == "subscribe") {
    subscribers_.push_back(client);
    server_->send(client, reply_ok(r.seq, "\"subscribed\":true"));
    return outcome::success();
  }
  if (op == "stats") {
    server_->send(client, reply_ok(r.seq, stats_fields()));
    return outcome::success();
  }
  if (op == "info") {
    // Where the records are: a client runs exec, ps, update and
    // events --stats itself against them, as it would without a daemon.
    char abs[PATH_MAX];
    const std::string& root = rt_.store().root();
    std::string fields = "\"root\":" + json_quote(::realpath(root.c_str(), abs) ? abs : root);
    fields += fmt::format(",\"pid\":{}", ::getpid());
    server_->send(client, reply_ok(r.seq, fields));
    return outcome::success();
  }
  if (op == "batch") {
    InitFlags f;
    RINGC_TRY(take_fds(client, r, f));  // first: a refused request takes its fds too
    if (r.fds)
      return ringc_error(Errc::bad_usage, "request: /fds: a batch takes the client's stdio only");
    if (r.count == 0) return ringc_error(Errc::bad_usage, "request: /count: missing");
    BatchOptions o;
    if (f.stdio) o.stdio = std::move(f.fds);
    o.bundle = r.bundle.empty() ? "." : r.bundle;
    o.count = r.count;
    o.parallel = unsigned(r.parallel);
    o.prefix = r.prefix;
    o.keep = r.keep;
    RINGC_TRY(auto p, prepare(o.prefix + "-0", o.bundle));
    RINGC_TRY(Engine::supports(p));
    auto b = std::make_unique<Batch>(engine_, o, std::make_shared<const Prepared>(std::move(p)));
    b->pump();
    batches_.push_back({std::move(b), client, r.seq});
    return outcome::success();
  }
  return ringc_error(Errc::bad_usage, fmt::format("request: /op: unknown operation \"{}\"", op));
}

std::string Daemon::stats_fields() const {
  EngineStats st = engine_.stats();
  std::string by_state;
  for (int i = 0; i < fsm::kStateCount; ++i)
    by_state += fmt::format("{}\"{}\":{}", i ? "," : "", fsm::name(fsm::State(i)), st.by_state[i]);
  return fmt::format(
      "\"containers\":{},\"by_state\":{{{}}},\"ops_in_flight\":{},\"queue_full\":{},"
      "\"completions\":{},\"launches\":{},\"clients\":{},\"held_fds\":{},\"rss_kib\":{},"
      "\"peak_rss_kib\":{}",
      engine_.size(), by_state, st.ops_in_flight, st.queue_full, st.completions, st.launches,
      server_->clients(), st.held_fds, current_rss_kib(), rss_kib());
}

void Daemon::on_notice(const Notice& n) {
  for (auto& b : batches_) b.batch->observe(n);
  if (!subscribers_.empty()) event_line(n);
  resolve(std::string(n.id), &n);
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
}  // namespace

Result<int> cmd_daemon(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("daemon"), "daemon"));
  if (!a.has("socket")) return ringc_error(Errc::bad_usage, "\"daemon\" requires --socket PATH");
  ServerOptions o;
  o.path = a.get("socket");
  for (auto& v : a.values["allow-uid"]) {
    uid_t uid = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), uid);
    if (ec != std::errc() || end != v.data() + v.size())
      return ringc_error(Errc::bad_usage, fmt::format("--allow-uid: not a uid: \"{}\"", v));
    o.allowed_uids.push_back(uid);
  }
  // The reaper (core/supervisor/reaper.h) holds the socket's lock across the
  // daemon's restarts; the daemon runs as its child.
  RINGC_TRY(int lock, lock_socket(o.path));
  ReaperRole role = run_reaper();
  if (!role.daemon) {
    ::unlink((o.path + ".lock").c_str());
    ::close(lock);
    return role.exit_code;
  }
  ::close(lock);
  o.locked = true;
  Daemon d(ctx.runtime);
  RINGC_TRY(d.serve(std::move(o), a.get("pid-file"), role.reaper_fd));
  return 0;
}

}  // namespace ringc::cli
