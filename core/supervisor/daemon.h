// ringc daemon: the engine as a service. One thread, one ring: the socket
// server, the containers and the daemon's own signals all complete there.
// Requests (docs/protocol.md) are dispatched from one table of operations
// (core/supervisor/dispatch.cc); each is answered when the engine's
// notices say so (core/engine/answer.h).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/error.h"
#include "core/engine/answer.h"
#include "core/engine/batch.h"
#include "core/engine/engine.h"
#include "core/engine/runtime.h"
#include "core/supervisor/protocol.h"
#include "core/supervisor/server.h"

namespace ringc {

class Daemon {
 public:
  // opts: the engine's pools (EngineOptions::netns_pool, cgroup_pool).
  explicit Daemon(Runtime& rt, EngineOptions opts = {}) : rt_(rt), engine_(rt, opts) {}
  // Inits of bundle kept parked from the start (ringc daemon --pool);
  // a `pool` request declares one later.
  void add_pool(std::string bundle, unsigned count) {
    pools_.emplace_back(std::move(bundle), count);
  }

  // Serves until SIGTERM or SIGINT: listens, takes over the containers the
  // records name (after the reaper's early exits, reaper_fd: -1 for none),
  // then answers requests. Running containers outlive it.
  Result<void> serve(ServerOptions o, const std::string& pid_file, int reaper_fd);

 private:
  struct Waiter {
    uint32_t client;
    std::string seq;
    Awaiting wait;
  };
  // A client's exec, by the engine's handle: answered when the process
  // runs and, with wait, again at its exit.
  struct ExecWaiter {
    uint32_t client;
    std::string seq;
    bool wait;
  };
  struct PendingBatch {
    std::unique_ptr<Batch> batch;
    uint32_t client;
    std::string seq;
  };
  // One operation of the protocol (dispatch.cc's table).
  using Op = Result<void> (Daemon::*)(uint32_t client, const Request& r);
  struct OpEntry {
    std::string_view name;
    Op run;
    bool needs_id;
  };
  static const OpEntry kOps[];

  void on_line(uint32_t client, std::string_view line);
  Result<void> dispatch(uint32_t client, const Request& r);
  Result<void> op_launch(uint32_t client, const Request& r);  // create, run
  Result<void> op_start(uint32_t client, const Request& r);
  Result<void> op_pause(uint32_t client, const Request& r);  // pause, resume
  Result<void> op_kill(uint32_t client, const Request& r);
  Result<void> op_delete(uint32_t client, const Request& r);
  Result<void> op_update(uint32_t client, const Request& r);
  Result<void> op_exec(uint32_t client, const Request& r);
  Result<void> op_wait(uint32_t client, const Request& r);
  Result<void> op_state(uint32_t client, const Request& r);
  Result<void> reply_state(uint32_t client, const std::string& seq, const std::string& id);
  Result<void> op_list(uint32_t client, const Request& r);
  Result<void> op_subscribe(uint32_t client, const Request& r);
  Result<void> op_stats(uint32_t client, const Request& r);
  Result<void> op_info(uint32_t client, const Request& r);
  Result<void> op_batch(uint32_t client, const Request& r);
  Result<void> op_pool(uint32_t client, const Request& r);
  Result<void> park(const std::string& bundle, unsigned count);
  // A run of a bundle with parked inits takes one (true) unless none is ready.
  Result<bool> run_parked(const Request& r, LaunchRequest& lr);
  Result<void> take_fds(uint32_t client, const Request& r, InitFlags& f);
  // Registers the waiter first: the engine may settle it before it returns.
  template <class F>
  Result<void> wait_for(uint32_t client, const Request& r, Until until, F&& act);
  void on_notice(const Notice& n);
  void on_exec(const ExecNotice& n);
  void resolve(const std::string& id, const Notice* n);
  void event_line(const Notice& n);
  std::string stats_fields() const;
  Result<void> recover();

  Runtime& rt_;
  Engine engine_;
  std::unique_ptr<Server> server_;
  std::unordered_map<std::string, std::vector<Waiter>> waiters_;
  std::unordered_map<uint64_t, ExecWaiter> exec_waiters_;
  std::vector<uint32_t> subscribers_;
  std::vector<PendingBatch> batches_;
  bool stop_ = false;
  std::vector<std::pair<std::string, unsigned>> pools_;  // --pool's, parked once recovered
  std::string reactor_;  // the ring's backend (ring::describe), for stats
};

}  // namespace ringc
