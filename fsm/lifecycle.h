// The container lifecycle: states, events, and the one transition table.
//
// The table is data. Commands and the engine send events through apply();
// nothing else decides what state a container moves to.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ringc::fsm {

enum class State : uint8_t { creating, created, running, paused, stopping, stopped, deleting };
inline constexpr int kStateCount = 7;

enum class Event : uint8_t {
  // requests
  create,
  start,
  kill,
  kill_all,  // kill --all: every process in the container's cgroup
  pause,
  resume,
  stop,    // kill with a grace period: TERM now, KILL when the grace expires
  remove,  // "delete": a C++ keyword, hence the enumerator name
  force_remove,
  update,       // new resource limits
  exec,         // another process in the container (runc exec)
  exec_frozen,  // exec --ignore-paused: the process joins the frozen cgroup, runs on resume
  // observations
  init_ready,
  init_failed,
  exec_done,
  exited,
  frozen,
  thawed,
  freeze_failed,   // a pause the kernel refused or did not finish in time
  thaw_failed,     // a resume likewise
  release_failed,  // start could not reach the waiting init (its exec fifo is gone)
  grace_expired,
  restart_due,
  // recovery: a container taken over from its record (a restarted daemon,
  // a one-shot verb) enters in the state the record says, then the table
  // decides from what the kernel says of its init
  adopted,       // the recorded init is alive (pid and start time match)
  adopted_gone,  // it is gone
};
inline constexpr int kEventCount = 25;

// What the caller must do to carry out a transition.
enum class Action : uint8_t {
  none,
  record_created,    // init is set up and waiting: persist pid and state
  release_init,      // let the waiting init exec the user's program
  signal,            // deliver the requested signal
  signal_all,        // deliver it to every process in the cgroup (none left: done)
  freeze,            // freeze the cgroup
  thaw,              // thaw the cgroup
  terminate,         // SIGTERM now, arm the grace timer
  kill_now,          // SIGKILL (grace expired)
  record_exit,       // persist the exit status (restarted as its policy says)
  record_stop,       // persist the exit status of a stop: never restarted
  destroy,           // remove cgroup and state: nothing is left running
  kill_and_destroy,  // SIGKILL, wait for the exit, then destroy
  respawn,           // start the container's process again (restart policy)
  set_resources,     // write new limits into the cgroup
  spawn_process,     // start a process in the container's namespaces and cgroup
};
inline constexpr int kActionCount = 16;

struct Transition {
  State next;
  Action action;
};

// A refused transition. Trivially copyable: text is built at the edge.
struct Invalid {
  State from;
  Event event;
};

struct Cell {
  bool valid;
  Transition to;
};

namespace detail {
using enum State;
using enum Action;
inline constexpr Cell kNo{false, {creating, none}};
constexpr Cell go(State s, Action a) {
  return {true, {s, a}};
}
}  // namespace detail

// rows: states in enum order; columns: events in enum order.
// clang-format off
inline constexpr std::array<std::array<Cell, kEventCount>, kStateCount> kTable = [] {
  using namespace detail;
  std::array<std::array<Cell, kEventCount>, kStateCount> t{};
  for (auto& row : t) row.fill(kNo);
  auto set = [&](State s, Event e, Cell c) { t[int(s)][int(e)] = c; };
  using E = Event;
  set(State::creating, E::init_ready,   go(State::created, record_created));
  set(State::creating, E::init_failed,  go(State::deleting, destroy));
  set(State::creating, E::exited,       go(State::deleting, destroy));
  set(State::creating, E::force_remove, go(State::deleting, kill_and_destroy));

  set(State::created, E::start,         go(State::running, release_init));
  set(State::created, E::kill,          go(State::created, signal));
  set(State::created, E::kill_all,      go(State::created, signal_all));
  set(State::created, E::stop,          go(State::stopping, terminate));
  set(State::created, E::exited,        go(State::stopped, record_exit));
  set(State::created, E::remove,        go(State::deleting, kill_and_destroy));
  set(State::created, E::force_remove,  go(State::deleting, kill_and_destroy));
  set(State::created, E::update,        go(State::created, set_resources));
  set(State::created, E::exec,          go(State::created, spawn_process));
  set(State::created, E::exec_frozen,   go(State::created, spawn_process));

  set(State::running, E::kill,          go(State::running, signal));
  set(State::running, E::kill_all,      go(State::running, signal_all));
  set(State::running, E::stop,          go(State::stopping, terminate));
  set(State::running, E::pause,         go(State::paused, freeze));
  set(State::running, E::exec_done,     go(State::running, none));
  set(State::running, E::thawed,        go(State::running, none));
  set(State::running, E::thaw_failed,   go(State::paused, none));
  set(State::running, E::release_failed,go(State::created, none));
  set(State::running, E::exited,        go(State::stopped, record_exit));
  set(State::running, E::force_remove,  go(State::deleting, kill_and_destroy));
  set(State::running, E::update,        go(State::running, set_resources));
  set(State::running, E::exec,          go(State::running, spawn_process));
  set(State::running, E::exec_frozen,   go(State::running, spawn_process));

  set(State::paused, E::resume,         go(State::running, thaw));
  set(State::paused, E::kill,           go(State::paused, signal));
  set(State::paused, E::kill_all,       go(State::paused, signal_all));
  set(State::paused, E::stop,           go(State::stopping, terminate));
  set(State::paused, E::frozen,         go(State::paused, none));
  set(State::paused, E::freeze_failed,  go(State::running, none));
  set(State::paused, E::exec_done,      go(State::paused, none));
  set(State::paused, E::exited,         go(State::stopped, record_exit));
  set(State::paused, E::force_remove,   go(State::deleting, kill_and_destroy));
  set(State::paused, E::update,         go(State::paused, set_resources));
  set(State::paused, E::exec_frozen,    go(State::paused, spawn_process));

  set(State::stopping, E::kill,         go(State::stopping, signal));
  set(State::stopping, E::kill_all,     go(State::stopping, signal_all));
  set(State::stopping, E::grace_expired,go(State::stopping, kill_now));
  set(State::stopping, E::exited,       go(State::stopped, record_stop));
  set(State::stopping, E::force_remove, go(State::deleting, kill_and_destroy));

  // containerd's shim sends `kill --all ID 9` after every exit: what is
  // left in the cgroup dies, and an empty or removed cgroup is success.
  set(State::stopped, E::kill_all,      go(State::stopped, signal_all));
  set(State::stopped, E::remove,        go(State::deleting, destroy));
  set(State::stopped, E::force_remove,  go(State::deleting, destroy));
  set(State::stopped, E::restart_due,   go(State::creating, respawn));

  set(State::deleting, E::exited,       go(State::deleting, none));
  // A delete cut short (kill -9, a busy cgroup) or a create whose creator
  // died (an intent record) is finished by another delete, forced or not;
  // containerd's kill --all reaches what may be left.
  set(State::deleting, E::remove,       go(State::deleting, kill_and_destroy));
  set(State::deleting, E::force_remove, go(State::deleting, kill_and_destroy));
  set(State::deleting, E::kill_all,     go(State::deleting, signal_all));

  // Taken over from a record. A half-made container (its creator is gone,
  // its handshake with it) can never start, and a half-deleted one is
  // finished: both are removed. A stop under way is finished.
  set(State::creating, E::adopted,      go(State::deleting, kill_and_destroy));
  set(State::created,  E::adopted,      go(State::created, none));
  set(State::running,  E::adopted,      go(State::running, none));
  set(State::paused,   E::adopted,      go(State::paused, none));
  set(State::stopping, E::adopted,      go(State::stopping, kill_now));
  set(State::deleting, E::adopted,      go(State::deleting, kill_and_destroy));
  set(State::creating, E::adopted_gone, go(State::deleting, destroy));
  set(State::created,  E::adopted_gone, go(State::stopped, none));
  set(State::running,  E::adopted_gone, go(State::stopped, none));
  set(State::paused,   E::adopted_gone, go(State::stopped, none));
  set(State::stopping, E::adopted_gone, go(State::stopped, none));
  set(State::stopped,  E::adopted_gone, go(State::stopped, none));
  set(State::deleting, E::adopted_gone, go(State::deleting, destroy));
  return t;
}();
// clang-format on

// The one way a state changes. Returns the transition or the refusal.
struct ApplyResult {
  std::optional<Transition> ok;
  Invalid refused;
  explicit operator bool() const { return ok.has_value(); }
};

constexpr ApplyResult apply(State from, Event e) {
  const Cell& c = kTable[int(from)][int(e)];
  if (c.valid) return {c.to, {from, e}};
  return {std::nullopt, {from, e}};
}

std::string_view name(State s);
std::string_view name(Event e);
std::string_view name(Action a);
std::optional<State> parse_state(std::string_view s);

}  // namespace ringc::fsm
