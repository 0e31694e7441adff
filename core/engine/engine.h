// The engine: one ring and a slot table of container state machines.
//
// Every step of every container is an fsm::Event made from a completion
// (handshake read, exec close, pidfd exit, timer) or a request; the
// transition's action submits the next SQEs. Nothing in here blocks on a
// container: the syscalls it makes itself (mkdir, clone3, cgroup files,
// the state record) are bounded, and their cost is measured per phase.
#pragma once

#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cgroup/resources.h"
#include "core/base/arena.h"
#include "core/base/error.h"
#include "core/base/sys.h"
#include "core/engine/effects.h"
#include "core/engine/held_fds.h"
#include "core/engine/runtime.h"
#include "core/pool/cgroup_pool.h"
#include "core/pool/netns_pool.h"
#include "core/spawn/launch.h"
#include "core/spawn/spawn.h"
#include "core/spawn/spawner.h"
#include "core/spec/restart.h"
#include "core/store/record.h"
#include "fsm/exec.h"
#include "fsm/freezer.h"
#include "fsm/launch.h"
#include "fsm/lifecycle.h"
#include "fsm/teardown.h"
#include "ring/ring.h"

namespace ringc {

// runc's create flags that reach the init: the pty master goes to
// console_socket (a terminal needs one), a pidfd of the init to
// pidfd_socket once it is created, and the init's no-pivot and
// no-new-keyring.
// A daemon's client hands over its own fds: with stdio its stdin, stdout
// and stderr first, then those for fds 3.. (--preserve-fds, the first
// listen_fds of them LISTEN_FDS's). The engine holds them while a restart
// may need them.
struct InitFlags {
  std::string console_socket, pidfd_socket;
  // A console socket connected already (the CLI's: the caller's
  // --console-socket, or a foreground run's own pair), in place of a path.
  SharedFd console;
  bool no_pivot = false, no_new_keyring = false;
  std::vector<SharedFd> fds;
  bool stdio = false;
  unsigned listen_fds = 0;
  bool any() const {
    return !console_socket.empty() || console || !pidfd_socket.empty() || no_pivot ||
           no_new_keyring || !fds.empty();
  }
};

struct LaunchRequest {
  std::string id;
  std::shared_ptr<const Prepared> prepared;  // shared by a batch's containers
  std::string cgroup_path;
  // One of many of `prepared` (a batch's): it may take a recycled cgroup
  // path (EngineOptions::cgroup_pool), which serves one template at a time.
  bool templated = false;
  bool start = true;            // run: start as soon as the init is ready
  bool remove_on_exit = false;  // delete once exited (batch, run --rm)
  // The init waits for start on the exec fifo in its state directory, not
  // on its handshake socket: another process starts it (`ringc create`,
  // then `ringc start`), after this engine is gone.
  bool exec_fifo = false;
  RestartPolicy restart;
  InitFlags flags;
};

// runc exec: a process in a created, running or (frozen) paused
// container, in every namespace of its init, its cgroups, its seccomp
// profile, capabilities and rlimits.
struct ExecRequest {
  std::shared_ptr<const Spec> spec;  // the container's; nullptr: read from its bundle
  Process process;
  // --cgroup: sub-cgroups of the container's to run in, "path" for every
  // hierarchy or "controller:path" for v1's (runc's form; they must exist).
  std::vector<std::string> cgroups;
  SharedFd console;          // a connected console socket (process.terminal)
  std::string pidfd_socket;  // a pidfd of the process goes there once it runs
  // fds 3.. reaching the process: with `fds` (a daemon client's, its stdio
  // first with stdio) those, else the engine's own 3..3+preserve_fds.
  std::vector<SharedFd> fds;
  bool stdio = false;
  unsigned preserve_fds = 0;
  // exec --ignore-paused: a paused container too, whose freezer holds the
  // setup until a resume; no setup deadline then (a kill ends it).
  bool ignore_paused = false;
};

// What an exec tells its owner: started (running, with its pid), failed
// (with why; nothing of it is left) or exited (with its code).
struct ExecNotice {
  uint64_t handle;  // exec()'s
  std::string_view id;
  fsm::ExecState state;
  pid_t pid = -1;
  int exit_code = -1;
  std::string_view error;
};

// What the engine tells its owner: each transition, and the end of a
// container (gone: its slot is free, nothing of it is left).
struct Notice {
  std::string_view id;
  fsm::State from, to;
  fsm::Event event;
  int exit_code = -1;      // with exited
  std::string_view error;  // why a launch or teardown failed
  bool gone = false;
  uint64_t oom_kills = 0;    // with exited: OOM kills the kernel counted in the cgroup
  std::string_view warning;  // with gone: a poststop hook that failed
};

// The reactor's own time, by phase: what one thread pays per container.
enum class Phase : uint8_t {
  claim,     // state directory
  cgroup,    // v2 directory and limits
  clone3,    // spawn: socketpair, clone3 (the init makes its v1 cgroups itself)
  record,    // state record writes
  release,   // start byte
  exit,      // exit completion and restart decisions
  teardown,  // cgroup rmdir, state directory removal
  busy,      // all of the above plus the loop itself: the reactor's total
};
inline constexpr int kPhaseCount = 8;
std::string_view name(Phase p);

// A pool of parked inits (core/engine/engine_parked.cc): containers of one
// bundle made ahead and set up, waiting for start under ids of their own
// (kParkedPrefix), so that a run of that bundle takes one: its state
// directory is renamed to the run's id and its start byte sent (with the
// client's stdio). A taken one is replaced in the background.
inline constexpr std::string_view kParkedPrefix = "ringc-parked-";
struct ParkedStats {
  std::string bundle;
  unsigned size = 0, ready = 0, making = 0;
  uint64_t hits = 0;    // runs that took a parked init
  uint64_t misses = 0;  // runs of the bundle that found none ready (started cold)
  uint64_t made = 0;    // parked inits that came to wait for start
  uint64_t failed = 0;  // ones that failed or died before they were taken
  std::string last_error;
  double refill_ms = 0;           // mean time from a refill's launch to its init waiting
  double refills_per_second = 0;  // made per second of the time the pool was refilling
  uint64_t memory_kib = 0;        // charged to the cgroups of its inits waiting
  bool over_budget = false;       // short of its size for EngineOptions::parked_memory
};

struct EngineStats {
  std::array<uint64_t, fsm::kStateCount> by_state{};
  std::array<uint64_t, kPhaseCount> phase_ns{};
  uint64_t launches = 0;
  uint64_t spawned = 0;  // of them, inits the spawner process cloned
  uint64_t ops_in_flight = 0;
  uint64_t queue_full = 0;
  uint64_t completions = 0;
  uint64_t refused = 0;   // observations the table refused (late timers)
  uint64_t held_fds = 0;  // clients' open files held for restarts
  // The inits' own setup (kChildPhases), summed over the readies: what
  // the kernel costs a container on its own core.
  std::array<uint64_t, kChildPhaseCount> init_us{};
  uint64_t inits_ready = 0;
  NetnsPoolStats netns;                    // with EngineOptions::netns_pool
  std::optional<CgroupPoolStats> cgroups;  // with EngineOptions::cgroup_pool
  std::vector<ParkedStats> parked;
};

struct EngineOptions {
  unsigned ring_entries = 4096;  // where the engine makes the runtime's ring
  // Inits cloned by a spawner process where the host has the cores for
  // one (core/spawn/spawner.h); a one-shot verb has no inits to clone.
  bool spawner = true;
  // Teardown's rmdirs and unlinks, and the records, written in this
  // thread, their completions handled at the next step: for a one-shot
  // verb, whose reactor serves no other container, starting and stopping
  // an io-wq thread for a dozen calls cost 3 ms of a 9 ms delete.
  bool inline_files = false;
  // An adopted init found exited has its code (where known) recorded; a
  // delete that is about to remove the record skips the write.
  bool record_adopted_exits = true;
  // What it does outside its ring (core/engine/effects.h); nullptr: the
  // kernel's. Tests pass a recording fake.
  Effects* effects = nullptr;
  // Warm network namespaces kept for containers whose spec may share one
  // (core/pool/netns_pool.h), made when the engine starts and taken back
  // from those that exited clean; 0: none. A spawner is sent the
  // namespace's fd with each request.
  unsigned netns_pool = 0;
  // Cgroup paths recycled for containers of one template that could not
  // change their cgroup (core/pool/cgroup_pool.h): the directories whose
  // counters reset are kept for the next one; 0: none.
  unsigned cgroup_pool = 0;
  // The memory all parked inits together may hold, in bytes, as their
  // cgroups are charged (each read once it waits): a refill is not made
  // when the waiting ones, those being made and one more (each at the
  // largest charge so far) would pass it, and the newest waiting go while
  // those waiting pass it; 0: no budget, sizes alone.
  uint64_t parked_memory = 0;
  // Inits cloned in the engine's own memory (core/spawn/shared_clone.h),
  // for an engine that outlives its inits' exec (batch, daemon): a
  // one-shot verb's process exits while its init waits for start.
  bool shared_clone = false;
};

class Engine {
 public:
  explicit Engine(Runtime& rt, EngineOptions o = {});
  // The spawner's reply buffers are the engine's: its receive is
  // cancelled, and its completion awaited, before they go.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Claims the id and brings the init to life; the rest (ready, start,
  // exit) comes as notices. An error here means nothing was made.
  Result<void> launch(LaunchRequest req);
  // Keeps `size` inits of the bundle parked (0: none; those parked are
  // removed). Refused for what a parked init cannot serve: hooks (they see
  // the parked id) and a terminal.
  Result<void> park(std::shared_ptr<const Prepared> p, unsigned size);
  // A run (req.start) or a create of bundle from a parked init, when one
  // is ready and the request asks nothing set up at create (a console,
  // fds beyond stdio, no_pivot, no_new_keyring, a pidfd socket): true,
  // and the rest comes as notices under req.id (a create's: created, its
  // stdio held for the start byte); false: none (a miss where the bundle
  // has a pool), the caller launches it.
  Result<bool> take_parked(const std::string& bundle, LaunchRequest& req);
  bool parks(const std::string& bundle) const;
  // Every pool's size set to 0: their parked inits are removed (a daemon
  // that stops).
  void unpark();
  // What the engine cannot do for a bundle, refused by name before
  // anything is made: a terminal with no console socket to hand it to
  // (or a console socket and no terminal, as runc refuses).
  static Result<void> supports(const Prepared& p, bool console_socket = false);
  // A user's request: start, kill (sig), kill_all (sig to every process
  // in its cgroup), stop (sig, then KILL when `grace` has passed), remove,
  // force_remove, pause, resume.
  Result<void> request(std::string_view id, fsm::Event e, int sig = SIGTERM,
                       std::chrono::milliseconds grace = std::chrono::seconds(10));
  // New limits for a created, running or paused container (the table's
  // update): written to its cgroup files now, synchronously, as the kernel
  // offers no ring operation for them; device rules are not changed (as
  // runc). The error names the file the kernel refused.
  Result<void> update(std::string_view id, cgroup::Resources r);
  // Clones the setup process of an exec (fsm/exec.h follows it); the
  // process's start, failure and exit come to on_exec under the handle
  // returned. An error here means nothing was made.
  Result<uint64_t> exec(std::string_view id, ExecRequest req);
  // A signal to a process exec'd into container id (pid: its pid, which
  // stays its own until the engine reaps it).
  Result<void> signal_exec(std::string_view id, pid_t pid, int sig);
  // Stops watching a container and leaves it as it is: a one-shot exec
  // whose process outlives its answer must not write the record of a
  // container that another command may delete meanwhile.
  void forget(std::string_view id);
  // Submits what is queued, waits for at least one completion and handles
  // every one that is there.
  Result<void> step();

  // Takes over a container from its record after a restart of the
  // supervisor: a live init (pidfd_open plus a start-time check, so a
  // recycled pid is never taken for it) is watched again; one that died
  // meanwhile is recorded stopped. Returns the state it is in now.
  Result<fsm::State> adopt(const RecordView& r);

  // A container this engine does not hold, named by a request: one made
  // by a CLI after the daemon started is adopted from its record; with
  // force, one whose record is damaged (or missing beside its claim) is
  // held only to be removed, by the cgroup the record still names or the
  // id's default, everything in it killed, as `ringc delete --force`
  // does without a daemon. Not found: the store's error.
  Result<void> take_over(std::string_view id, bool force);

  // The reaper the daemon runs under (core/supervisor/reaper.h) tells of every
  // orphan it reaps on this socket: the exits of inits adopted from a
  // supervisor that died. What is in the socket already (exits while no
  // daemon ran) is read now, for adopt(); later ones come on the ring.
  Result<void> attach_reaper(int fd);
  // Recovery is over: exits the reaper told of that matched no record
  // (orphans of containers' own processes) are dropped.
  void forget_early_exits() { early_exits_.clear(); }

  struct View {
    fsm::State state;
    pid_t pid;
    int exit_code;  // -1 unless stopped with a known status
    int restarts;
    fsm::LaunchPhase launch;    // where a container in creating is
    fsm::FreezerState freezer;  // where its pause or resume is
  };
  std::optional<View> view(std::string_view id) const;

  // Runs f once the record of container id says what the engine says of
  // it (now, unless a write is on its way): an answer read from the
  // record or the view (state, wait) is never older than the notices.
  void after_record(std::string_view id, std::function<void()> f);

  size_t size() const { return by_id_.size(); }
  bool has(std::string_view id) const;
  EngineStats stats() const;
  // The spawner's pid, or -1 when inits are cloned on the reactor's thread.
  pid_t spawner_pid() const { return spawner_.running() ? spawner_.pid() : -1; }

  std::function<void(const Notice&)> on_notice;
  std::function<void(const ExecNotice&)> on_exec;
  // Completions of the ring's other users (tags from ring::kOtherTagBase).
  std::function<void(const ring::Completion&)> on_other;
  // The engine's ring, for those other users.
  Result<ring::Ring*> ring() {
    RINGC_TRY(ready());
    return ring_;
  }

 private:
  friend struct EngineProbe;  // unit tests: synthetic completions (tests/unit/engine_test.cc)
  enum Tag : uint16_t {
    kHandshake = 1,
    kExecDone,
    kExit,
    kTimerGrace,
    kTimerRestart,
    kTimerRmdir,
    kTimerFreeze,  // v1-only hosts: freezer.state is re-read on a timer
    kFreezePoll,   // POLLPRI on cgroup.events
    kRmdir,        // one hierarchy's cgroup directory
    kStoreGone,    // the state directory
    kCgroupMade,   // the v2 directory, made by io-wq before the spawn
    kSpawned,      // carried by a spawn request (no SQE: the reply names it)
    kHookExit,     // a hook process's exit (its timeout linked)
    kEmptyPoll,    // POLLPRI on cgroup.events while a busy cgroup empties
    // An exec's (the token's slot is its index in execs_):
    kExecSetupExit,  // the setup process's exit
    kExecMessage,    // its socket: the pid, an error, or EOF at the exec
    kExecExit,       // the process's exit
    kRecord,         // one operation of a record's write (or the whole, written in this thread)
    kRecordSync,     // an fsync behind a record written (the claim's, a warm start's)
  };
  // Engine-wide completions (no slot): the spawner's replies and its exit.
  static constexpr uint16_t kSpawnerReply = ring::kOtherTagBase - 2;
  static constexpr uint16_t kSpawnerExit = ring::kOtherTagBase - 1;
  static constexpr uint16_t kReaperRead = ring::kOtherTagBase - 3;

  // The runtime's hooks at one point of the lifecycle, one process at a
  // time, each exit a completion (core/engine/engine_hooks.cc). Made only for a
  // container whose config has hooks there.
  enum class HookPoint : uint8_t {
    create,     // prestart, createRuntime: the init waits before pivot_root
    poststart,  // after the program's exec; `start` answers after them
    poststop,   // after the container is gone; `delete` answers after them
  };
  struct HookRun {
    HookPoint point;
    uint8_t kind = 0;    // of the point's kinds
    uint16_t index = 0;  // within that kind
    sys::UniqueFd pidfd;
    bool timed_out = false;
    // The init's exit, come while poststart hooks ran: handled after them,
    // so that a start is answered before the exit it caused.
    bool exit_held = false;
    int exit_res = 0;
    siginfo_t info{};
    __kernel_timespec ts{};
  };
  // What the slot waits on before its next step; `empty` is the poll on
  // cgroup.events for a busy cgroup to empty (disarm cancels it too).
  enum class Timer : uint8_t { none, grace, restart, rmdir, freeze, empty };
  // Who tells an init's exit status: our own waitid (our child), or for
  // one adopted from a record its zombie or pidfs (adopted), or the reaper
  // the daemon runs under, its parent now (reaper), whose word may still
  // be to come after the exit (awaiting_reaper).
  enum class ExitSource : uint8_t { own_child, adopted, reaper, awaiting_reaper };

  struct Slot {
    uint16_t generation = 0;
    bool used = false;
    fsm::State state = fsm::State::creating;
    fsm::LaunchPhase launch = fsm::LaunchPhase::none;  // in creating (fsm/launch.h)
    std::string id;
    std::shared_ptr<const Prepared> prepared;
    std::string cgroup;
    bool start = true, remove_on_exit = false, exec_fifo = false;
    std::unique_ptr<InitFlags> flags;  // only when any is set; again for each run
    RestartPolicy restart;
    int restarts = 0;
    std::chrono::milliseconds grace{0};  // of the stop under way
    pid_t pid = -1;
    sys::UniqueFd pidfd, sock;  // the init's, and our end of its handshake
    bool exited = false;
    ExitSource exit_source = ExitSource::own_child;
    int wait_status = -1;  // what the reaper told, come before the exit completion
    int exit_code = -1;
    uint64_t oom_kills = 0;   // the cgroup's count when the init was killed
    uint64_t start_time = 0;  // of the init, for the record (pid reuse check)
    int64_t created_ns = 0;   // first record write: OCI "created"
    fsm::TeardownState teardown = fsm::TeardownState::waiting;  // in deleting (fsm/teardown.h)
    sys::UniqueFd events_fd;  // cgroup.events while a pause or resume settles
    fsm::FreezerState freezer = fsm::FreezerState::thawed;  // (fsm/freezer.h)
    std::chrono::steady_clock::time_point freeze_until{};   // its deadline
    __kernel_timespec events_ts{};   // the cgroup.events poll's linked timeout (freeze, emptying)
    uint8_t unlinks = 0;             // teardown unlinks in flight
    bool rmdir_busy = false;         // a cgroup directory still had tasks
    std::vector<std::string> paths;  // what the unlinks in flight name
    uint16_t pending = 0;            // SQEs in flight that carry this slot's token
    Timer timer = Timer::none;
    int rmdir_attempts = 0;
    std::string error;
    siginfo_t info{};
    HandshakeMsg msg{};
    __kernel_timespec ts{};
    // The record's write in flight (a chain of ring operations, or one
    // made in this thread with its completion queued) and what waits for
    // it: the container's notices (a client told `created` finds the
    // record), the start byte (the program runs once the record says so),
    // the reaping of the init's zombie (its status recorded first).
    uint8_t record_ops = 0;
    bool record_again = false;        // the state moved on meanwhile: written again
    bool start_after_record = false;  // release_init's start byte
    pid_t reap_after_record = 0;
    uint16_t record_file = 0xffff;                    // its direct descriptor
    std::vector<std::function<void()>> after_record;  // after_record()'s
    std::string record_bytes, record_tmp, record_path, record_dir, record_error;
    // fsyncs behind a record written (the claim's, a warm start's): what
    // they name, and how many are in flight. Nothing waits for them (only
    // a host crash could lose what they keep, and it takes every process
    // the record names with it).
    std::vector<sys::UniqueFd> syncing;
    uint8_t sync_ops = 0;
    bool poolable = false;       // its spec may share a warm network namespace
    bool cgroup_pooled = false;  // its cgroup path is the cgroup pool's
    int16_t parked = -1;         // its pool while made for one or waiting in it
    std::chrono::steady_clock::time_point parked_at{};  // its launch, while made for a pool
    uint64_t parked_charge = 0;                         // its cgroup's memory once it waited parked
    int16_t taken_from = -1;                            // the pool it was taken from, until it runs
    bool record_inline = false;      // its next record written in this thread (a warm start)
    bool stdio_with_start = false;   // flags->fds' first three go with the start byte
    bool idle_until_start = false;   // parked as SCHED_IDLE: SCHED_OTHER again at its start
    int16_t donor = -1;              // a shared clone's (shared_clone.h), until its exec or exit
    bool donor_risky = false;        // signalled before its ready: the donor is not lent again
    bool past_ready = false;         // its init sent ready: it allocates nothing more (child.cc)
    sys::UniqueFd netns;             // the warm one its init joined
    std::unique_ptr<HookRun> hooks;  // while hooks run
    std::string warning;             // a poststop hook's failure, told with gone
  };

  // A process exec'd into a container (core/engine/engine_exec.cc).
  struct ExecRun {
    uint16_t generation = 0;
    bool used = false;
    fsm::ExecState state = fsm::ExecState::setting_up;
    std::string id;  // the container's
    bool frozen = false;
    std::string pidfd_socket;
    pid_t pid = -1;
    sys::UniqueFd setup_pidfd, pidfd, sock;
    siginfo_t setup_info{}, info{};
    HandshakeMsg msg{};
    __kernel_timespec ts{};
    uint8_t pending = 0;
    int exit_code = -1;
    std::string error;
    std::shared_ptr<const Spec> spec;  // for the seccomp agent
    int listener = -1;  // reported before the pid (the process raced its setup's message)
  };

  // The next free entry of a generation-counted table (slots, execs),
  // reset, its generation bumped: a completion for what it held before is
  // recognised as stale.
  template <class T>
  uint32_t take(NoForkArena<T>& table, std::vector<uint32_t>& free) {
    uint32_t i;
    if (!free.empty()) {
      i = free.back();
      free.pop_back();
    } else {
      i = uint32_t(table.size());
      table.emplace_back();
      table[i].generation = epoch_;
    }
    uint16_t g = uint16_t(table[i].generation + 1);
    table[i] = T{};
    table[i].generation = g;
    table[i].used = true;
    return i;
  }
  // One step of a second table (an exec's, a removal's): the state
  // committed and its action, or nothing (counted as refused).
  template <class St, class Ev>
  auto advance(St& state, Ev e) -> std::optional<decltype(fsm::apply(state, e)->action)> {
    auto t = fsm::apply(state, e);
    if (!t) {
      ++stats_.refused;
      return std::nullopt;
    }
    state = t->next;
    return t->action;
  }

  Result<void> ready();
  uint64_t token(uint32_t slot, Tag tag) const;
  uint64_t exec_token(uint32_t run, Tag tag) const;
  void handle_exec(uint32_t run, Tag tag, int res);
  void fire_exec(uint32_t run, fsm::ExecEvent e);
  bool arm_exec_message(uint32_t run);
  void release_exec(uint32_t run);
  static Tag timer_tag(Timer t);
  uint32_t alloc();
  void release(uint32_t i);

  void handle(const ring::Completion& c);
  void on_handshake(uint32_t i, int res);
  void on_exec_done(uint32_t i, int res);
  void on_exit(uint32_t i, int res);
  void exited(uint32_t i);  // its exit code is known
  void on_timer(uint32_t i, Tag tag, int res);

  // Drives slot i through the table; false when the cell is invalid.
  bool fire(uint32_t i, fsm::Event e, int sig = SIGTERM);
  // A transition whose record is written after it (what the kernel
  // reported: frozen, a refused freeze or start, an adopted init gone):
  // its notice waits for that record.
  void fire_recorded(uint32_t i, fsm::Event e, bool record = true);
  void act(uint32_t i, fsm::Action a, int sig);
  // Clones the init (begin_launch); v2_made: its v2 directory exists.
  Result<void> spawn_init(uint32_t i, bool v2_made = false, bool v2_existed = false);
  // The v2 directory through the ring when its parent is known to be
  // there; false: the caller spawns at once (begin_launch makes it).
  bool queue_cgroup(uint32_t i);
  void on_cgroup_made(uint32_t i, int res);
  // The init exists: wait for its exit and its handshake.
  void attach(uint32_t i, const Spawned& child);
  // The next message of the init, its timeout linked; false: no entry.
  bool arm_handshake(uint32_t i);
  // A process of container i whose seccomp filter notifies reported its
  // listener (fd `fd` in process `pid`, held by `pidfd`): a copy goes to
  // the profile's agent with the state (`status` the container's), and
  // the process hears Go::seccomp_taken on `sock` (engine_seccomp.cc).
  Result<void> give_listener(uint32_t i, const Spec& spec, int pidfd, pid_t pid, int fd,
                             std::string_view status, int sock);
  // An exec'd process's listener, once its pid is known (else nothing).
  Result<void> give_exec_listener(uint32_t r);
  void charge_phases(const Timeline& tl);  // begin_launch's cgroup and clone3 phases
  void start_spawner();
  void arm_spawner_reply();
  void on_spawner_reply(int res);
  void on_spawner_gone();
  siginfo_t reap_sink_{};  // exit status of inits nobody waits for
  void send_signal(uint32_t i, int sig);
  void arm(uint32_t i, Timer t, std::chrono::milliseconds d);
  void disarm(uint32_t i);
  // Writes the slot's record (state, pid, exit) through the ring where it
  // can; notices and the steps that need the record on disk wait for it.
  void write_record(uint32_t i);
  void on_record(uint32_t i, int res);
  // The claim made durable once the init is cloned, while it sets up
  // (Store::claim): as a record write, what waits for records waits for it.
  void sync_claim(uint32_t i);
  // release_init's second half: the start byte (or the exec fifo's).
  void send_start(uint32_t i);
  // Notices go out in order once their container has no record write in
  // flight (and a transition's once its action has run).
  void flush_notices();
  // The exit recorded, or the container restarted or removed; a stop's
  // exit (record_stop) is never restarted.
  void after_exit(uint32_t i, bool stopped);
  void take_fds(uint32_t i, unsigned passed, unsigned listen);
  // An adopted init's exit code, once something can tell it; nullopt: the
  // reaper will (awaiting_reaper).
  std::optional<int> adopted_exit_code(Slot& s);
  void forget_adopted(uint32_t i);
  void arm_reaper();
  void on_reaper_read(int res);
  void reaped(pid_t pid, uint64_t start_time, int status);
  // The launch's next step (fsm/launch.h); an event its table refuses
  // changes nothing.
  void step_launch(uint32_t i, fsm::LaunchEvent e);
  void advance_teardown(uint32_t i);
  void fire_teardown(uint32_t i, fsm::TeardownEvent e);
  // A busy cgroup's next rmdir waits for cgroup.events to say it is empty;
  // false where nothing will tell (v1-only hosts), the caller's timer then.
  bool await_empty(uint32_t i);
  // The freezer's next step (fsm/freezer.h) and its action.
  void step_freezer(uint32_t i, fsm::FreezerEvent e);
  void write_freezer(uint32_t i, bool frozen);
  void check_freeze(uint32_t i);
  void freeze_failed(uint32_t i, std::string why);
  // A v1-frozen task dies of SIGKILL only once thawed: the freezer's kill.
  void thaw_for_kill(uint32_t i);
  void on_unlink(uint32_t i, Tag tag, int res);
  void unlink(uint32_t i, Tag tag, std::string path, int flags, bool hard_link = false);
  void notify(uint32_t i, fsm::State from, fsm::Event e, bool gone = false);
  // Hooks: false when the config has none at that point (nothing started).
  bool run_hooks(uint32_t i, HookPoint p);
  void next_hook(uint32_t i);
  void on_hook_exit(uint32_t i, int res);
  void hooks_done(uint32_t i, HookPoint p, std::string error);

  void charge(Phase p, std::chrono::steady_clock::time_point since);

  Runtime& rt_;
  EngineOptions opts_;
  Effects& fx_;
  uint16_t epoch_;  // the first generation of this engine's slots
  ring::Ring* ring_ = nullptr;
  const cgroup::Host* host_ = nullptr;
  // The hierarchies slot s's cgroup is in: none for a container without
  // one (a rootless container outside a delegated subtree).
  const cgroup::Host& cgroups(const Slot& s) const { return cgroup::of(*host_, s.cgroup); }
  NoForkArena<Slot> slots_;  // SQEs point into slots: they never move
  NoForkArena<ExecRun> execs_;
  std::vector<uint32_t> free_execs_;
  std::vector<uint32_t> free_;
  std::unordered_map<std::string_view, uint32_t> by_id_;  // keys view Slot::id
  // v2 parent cgroups made (and delegated) by an earlier launch: the next
  // directory under one is made by io-wq, off the reactor's thread.
  std::unordered_set<std::string> v2_parents_;
  HeldFds held_fds_;                         // clients' fds kept for restarts, one per open file
  std::unique_ptr<NetnsPool> netns_pool_;    // with EngineOptions::netns_pool
  std::unique_ptr<CgroupPool> cgroup_pool_;  // with EngineOptions::cgroup_pool
  // The container's cgroup directories are gone (the pool's kept ones
  // aside): its pooled path goes back, and its removal moves on.
  void cgroups_removed(uint32_t i);
  struct ParkedPool {
    std::shared_ptr<const Prepared> prepared;
    ParkedStats st;
    std::vector<uint32_t> ready;  // slots in created, oldest first
    bool held = false;            // one failed: no more made until the next take
    unsigned starting = 0;        // taken ones not running yet: refills wait for them
    int64_t refill_ns = 0;        // summed over the made ones, launch to waiting
    uint64_t largest_charge = 0;  // the most one of its inits was charged, waiting
    int64_t refilling_ns = 0;     // time the pool spent refilling, stretches ended
    std::chrono::steady_clock::time_point refilling_since{};  // the stretch under way
  };
  std::vector<ParkedPool> parked_;
  uint64_t parked_seq_ = 0;
  int16_t launching_parked_ = -1;         // the pool of the launch under way
  std::vector<std::string> parked_dead_;  // parked inits that died waiting: removed
  bool parked_dirty_ = false;             // tend_parked() at the end of the step
  void tend_parked();
  // Whether one more parked init fits EngineOptions::parked_memory, at
  // the largest charge one had so far; the charge of those waiting.
  bool parked_fits_budget() const;
  uint64_t parked_charged() const;
  // fsyncs of these files and directories through the ring, behind the
  // record (sync_ops); false (nothing queued) where the ring cannot.
  bool fsync_on_ring(uint32_t i, std::initializer_list<std::string> paths);
  void on_record_sync(uint32_t i, int res);
  // Refused for a parked init (start, pause, update, exec: what would
  // change it for the run that takes it); kill and delete drop it.
  Result<void> not_parked(uint32_t i, std::string_view what) const;
  void parked_notice(uint32_t i, fsm::State from, fsm::Event e, bool gone);
  std::vector<ring::Completion> inline_done_;  // inline_files' results, for step()
  std::vector<uint16_t> free_files_;           // direct descriptors for record writes
  uint32_t ring_record_ops_ = 0;               // record operations in the kernel's hands
  // Notices not yet told: a copy that owns its strings, and its slot.
  struct QueuedNotice {
    uint32_t slot;
    uint16_t generation;
    Notice notice;
    std::string id, error, warning;
  };
  std::vector<QueuedNotice> outbox_;
  int firing_ = 0;  // fire()s under way: their notices go once the outermost has acted
  bool flushing_ = false;
  // The spawner (core/spawn/spawner.h) and the one reply being received.
  Spawner spawner_;
  SpawnReply reply_{};
  iovec reply_iov_{};
  msghdr reply_msg_{};
  alignas(cmsghdr) char reply_control_[CMSG_SPACE(2 * sizeof(int))]{};
  siginfo_t spawner_info_{};
  // The reaper's socket, its stream of ReapedExit records, and the
  // adopted inits it may name (by pid).
  sys::UniqueFd reaper_fd_;
  char reaper_buf_[4096]{};
  size_t reaper_len_ = 0;
  std::unordered_map<pid_t, uint32_t> adopted_pids_;
  struct EarlyExit {
    uint64_t start_time;
    int status;
  };
  std::unordered_map<pid_t, EarlyExit> early_exits_;
  EngineStats stats_;
};

}  // namespace ringc
