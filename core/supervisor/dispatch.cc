// The daemon's requests: one table of operations, one handler each.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include <fmt/format.h>

#include "core/base/sys.h"
#include "core/spawn/launch.h"
#include "core/store/state_json.h"
#include "core/supervisor/daemon.h"
#include "core/verbs/container.h"
#include "core/verbs/exec.h"

namespace ringc {

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

// The protocol's operations (docs/protocol.md).
const Daemon::OpEntry Daemon::kOps[] = {
    {"create", &Daemon::op_launch, false},  // checks the id after taking the fds
    {"run", &Daemon::op_launch, false},    {"start", &Daemon::op_start, true},
    {"pause", &Daemon::op_pause, true},    {"resume", &Daemon::op_pause, true},
    {"kill", &Daemon::op_kill, true},      {"delete", &Daemon::op_delete, true},
    {"wait", &Daemon::op_wait, true},      {"state", &Daemon::op_state, true},
    {"list", &Daemon::op_list, false},     {"subscribe", &Daemon::op_subscribe, false},
    {"stats", &Daemon::op_stats, false},   {"info", &Daemon::op_info, false},
    {"batch", &Daemon::op_batch, false},   {"update", &Daemon::op_update, true},
    {"exec", &Daemon::op_exec, false},  // checks the id after taking the fds
    {"pool", &Daemon::op_pool, false},
};

namespace {
Result<void> need_id(const Request& r) {
  if (r.id.empty()) return ringc_error(Errc::bad_usage, "request: /id: missing");
  return outcome::success();
}
}  // namespace

Result<void> Daemon::dispatch(uint32_t client, const Request& r) {
  const OpEntry* op = nullptr;
  for (const OpEntry& e : kOps)
    if (e.name == r.op) op = &e;
  if (!op)
    return ringc_error(Errc::bad_usage,
                       fmt::format("request: /op: unknown operation \"{}\"", r.op));
  if (op->needs_id) {
    RINGC_TRY(need_id(r));
  }
  // A container a CLI made in this root since the daemon started is taken
  // over by the first request that names it (delete also takes a damaged
  // one, below).
  if (op->run != &Daemon::op_launch && op->run != &Daemon::op_batch && !r.id.empty() &&
      !engine_.has(r.id) && rt_.store().exists(r.id))
    (void)engine_.take_over(r.id, false);
  return (this->*op->run)(client, r);
}

Result<void> Daemon::op_launch(uint32_t client, const Request& r) {
  LaunchRequest lr;
  RINGC_TRY(take_fds(client, r, lr.flags));  // first: a refused request takes its fds too
  RINGC_TRY(need_id(r));
  lr.id = r.id;
  lr.start = r.op == "run";
  lr.remove_on_exit = r.rm;
  lr.restart = r.restart;
  lr.flags.console_socket = r.console_socket;
  lr.flags.pidfd_socket = r.pidfd_socket;
  lr.flags.no_pivot = r.no_pivot;
  lr.flags.no_new_keyring = r.no_new_keyring;
  Until until = r.op == "create" ? Until::created
                : !r.wait        ? Until::running
                : r.rm           ? Until::removed
                                 : Until::exited;
  return wait_for(client, r, until, [&]() -> Result<void> {
    RINGC_TRY(bool taken, run_parked(r, lr));
    if (taken) return outcome::success();
    RINGC_TRY(auto p, prepare(r.id, r.bundle.empty() ? std::string(".") : r.bundle));
    lr.cgroup_path = p.cgroup_path;
    lr.prepared = std::make_shared<const Prepared>(std::move(p));
    return engine_.launch(std::move(lr));
  });
}

Result<bool> Daemon::run_parked(const Request& r, LaunchRequest& lr) {
  if (pools_.empty() || r.bundle.empty()) return false;
  char abs[PATH_MAX];
  if (!::realpath(r.bundle.c_str(), abs) || !engine_.parks(abs)) return false;
  return engine_.take_parked(abs, lr);
}

Result<void> Daemon::park(const std::string& bundle, unsigned count) {
  RINGC_TRY(auto p, prepare("parked", bundle));
  std::string key = p.bundle;
  RINGC_TRY(engine_.park(std::make_shared<const Prepared>(std::move(p)), count));
  auto it = std::find_if(pools_.begin(), pools_.end(), [&](auto& e) { return e.first == key; });
  if (it == pools_.end())
    pools_.emplace_back(key, count);
  else
    it->second = count;
  return outcome::success();
}

// A pool of parked inits for a bundle (docs/pools.md), answered at once;
// they are made in the background.
Result<void> Daemon::op_pool(uint32_t client, const Request& r) {
  if (r.bundle.empty() || r.bundle[0] != '/')
    return ringc_error(Errc::bad_usage, "request: /bundle: an absolute path is needed");
  if (!r.size) return ringc_error(Errc::bad_usage, "request: /size: missing");
  RINGC_TRY(park(r.bundle, unsigned(*r.size)));
  server_->send(client, reply_ok(r.seq));
  return outcome::success();
}

Result<void> Daemon::op_start(uint32_t client, const Request& r) {
  return wait_for(client, r, Until::running,
                  [&] { return engine_.request(r.id, fsm::Event::start); });
}

Result<void> Daemon::op_pause(uint32_t client, const Request& r) {
  bool pause = r.op == "pause";
  return wait_for(client, r, pause ? Until::paused : Until::resumed, [&] {
    return engine_.request(r.id, pause ? fsm::Event::pause : fsm::Event::resume);
  });
}

Result<void> Daemon::op_kill(uint32_t client, const Request& r) {
  int sig = parse_signal(r.signal);
  if (sig < 0) return ringc_error(Errc::bad_usage, fmt::format("invalid signal \"{}\"", r.signal));
  if (r.pid) {  // a process exec'd through this daemon
    RINGC_TRY(engine_.signal_exec(r.id, pid_t(r.pid), sig));
  } else if (r.grace_ms) {
    RINGC_TRY(engine_.request(r.id, fsm::Event::stop, sig, std::chrono::milliseconds(*r.grace_ms)));
  } else {
    RINGC_TRY(engine_.request(r.id, r.all ? fsm::Event::kill_all : fsm::Event::kill, sig));
  }
  server_->send(client, reply_ok(r.seq));
  return outcome::success();
}

Result<void> Daemon::op_delete(uint32_t client, const Request& r) {
  return wait_for(client, r, Until::gone, [&]() -> Result<void> {
    // Made by a CLI since this daemon started, or damaged: taken over.
    if (!engine_.has(r.id) && rt_.store().exists(r.id)) {
      RINGC_TRY(engine_.take_over(r.id, r.force));
    }
    return engine_.request(r.id, r.force ? fsm::Event::force_remove : fsm::Event::remove);
  });
}

// Written to the cgroup at once (the engine's update is synchronous: a
// few small files), answered when written.
Result<void> Daemon::op_update(uint32_t client, const Request& r) {
  if (r.resources.empty()) return ringc_error(Errc::bad_usage, "request: /resources: missing");
  RINGC_TRY(auto res, resources_from_json(r.resources, "request /resources"));
  RINGC_TRY(engine_.update(r.id, std::move(res)));
  server_->send(client, reply_ok(r.seq));
  return outcome::success();
}

// The process starts on the engine; the reply comes when it runs (its
// pid) and, with wait, at its exit (its code), or when it failed.
Result<void> Daemon::op_exec(uint32_t client, const Request& r) {
  InitFlags passed;
  RINGC_TRY(take_fds(client, r, passed));  // first: a refused request takes its fds too
  RINGC_TRY(need_id(r));
  if (r.exec.empty()) return ringc_error(Errc::bad_usage, "request: /exec: missing");
  RINGC_TRY(auto o, parse_exec_options(r.exec, "request: /exec"));
  o.id = r.id;
  RINGC_TRY(auto rec, rt_.store().read(r.id));
  RINGC_TRY(auto spec, load_spec(std::string(rec->bundle())));
  RINGC_TRY(auto req,
            exec_request(o, std::make_shared<const Spec>(std::move(spec)), false, nullptr));
  req.fds = std::move(passed.fds);
  req.stdio = passed.stdio;
  RINGC_TRY(uint64_t handle, engine_.exec(r.id, std::move(req)));
  exec_waiters_[handle] = {client, r.seq, r.wait};
  return outcome::success();
}

Result<void> Daemon::op_wait(uint32_t client, const Request& r) {
  auto v = engine_.view(r.id);
  if (!v) return ringc_error(Errc::not_found, fmt::format("container \"{}\" does not exist", r.id));
  if (v->state != fsm::State::stopped) {
    waiters_[r.id].push_back({client, r.seq, {Until::exited, kNoExitYet, {}}});
    return outcome::success();
  }
  // Stopped: answered once the record says so too (its write may be on
  // its way), so that what the client reads next agrees.
  engine_.after_record(r.id, [this, client, seq = r.seq, id = r.id] {
    auto now = engine_.view(id);
    server_->send(client,
                  reply_ok(seq, fmt::format("\"exit_code\":{}", now ? now->exit_code : -1)));
  });
  return outcome::success();
}

// Read from the record once a write of it on its way has landed.
Result<void> Daemon::op_state(uint32_t client, const Request& r) {
  if (!engine_.has(r.id)) return reply_state(client, r.seq, r.id);
  engine_.after_record(r.id, [this, client, seq = r.seq, id = r.id] {
    if (auto sent = reply_state(client, seq, id); !sent)
      server_->send(client, reply_error(seq, sent.error().what()));
  });
  return outcome::success();
}

Result<void> Daemon::reply_state(uint32_t client, const std::string& seq, const std::string& id) {
  RINGC_TRY(auto json, state(rt_, id, false));
  auto v = engine_.view(id);
  std::string extra =
      v ? fmt::format(",\"engine\":{{\"state\":\"{}\",\"exit_code\":{},\"restarts\":{}}}",
                      fsm::name(v->state), v->exit_code, v->restarts)
        : "";
  server_->send(client, reply_ok(seq, "\"state\":" + json + extra));
  return outcome::success();
}

Result<void> Daemon::op_list(uint32_t client, const Request& r) {
  std::string arr = "[";
  for (auto& e : list(rt_)) arr += (arr.size() > 1 ? "," : "") + e.json;
  server_->send(client, reply_ok(r.seq, "\"containers\":" + arr + "]"));
  return outcome::success();
}

Result<void> Daemon::op_subscribe(uint32_t client, const Request& r) {
  subscribers_.push_back(client);
  server_->send(client, reply_ok(r.seq, "\"subscribed\":true"));
  return outcome::success();
}

Result<void> Daemon::op_stats(uint32_t client, const Request& r) {
  server_->send(client, reply_ok(r.seq, stats_fields()));
  return outcome::success();
}

// Where the records are: a client runs exec, ps and events --stats itself
// against them, as it would without a daemon.
Result<void> Daemon::op_info(uint32_t client, const Request& r) {
  char abs[PATH_MAX];
  const std::string& root = rt_.store().root();
  std::string fields = "\"root\":" + json_quote(::realpath(root.c_str(), abs) ? abs : root);
  fields += fmt::format(",\"pid\":{}", ::getpid());
  server_->send(client, reply_ok(r.seq, fields));
  return outcome::success();
}

Result<void> Daemon::op_batch(uint32_t client, const Request& r) {
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

}  // namespace ringc
