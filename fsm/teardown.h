// A container's removal, step by step: the second table of the
// container's `deleting` state. The container's table decides that a
// container goes (destroy, kill_and_destroy); this one follows what is
// left of it until nothing is: its cgroup in every hierarchy, its state
// directory, its poststop hooks. Each event is made when what the step
// waits for (the init's exit, the rmdirs and unlinks in flight, a retry's
// timer or cgroup.events poll, the hooks) has completed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "fsm/table.h"

namespace ringc::fsm {

enum class TeardownState : uint8_t { waiting, cgroups, emptying, store, poststop, done };
inline constexpr int kTeardownStateCount = 6;

enum class TeardownEvent : uint8_t {
  settled,        // the init's exit is known, nothing of the container in flight
  cgroups_gone,   // every hierarchy's directory is removed (or was not there)
  cgroup_busy,    // one still held tasks or sub-cgroups
  busy_too_long,  // still busy after the last try: on, with why
  emptied,        // cgroup.events says populated 0, or the retry's timer fired
  store_gone,     // the state directory is removed
  hooks_done,     // the poststop hooks ran (or there are none)
};
inline constexpr int kTeardownEventCount = 7;

enum class TeardownAction : uint8_t {
  none,
  remove_cgroups,   // an rmdir per hierarchy, through the ring
  kill_stragglers,  // SIGKILL to the cgroup, sub-cgroups removed, then await it empty
  remove_store,     // the record, exec fifo and directory unlinked, through the ring
  run_poststop,     // the poststop hooks, one process at a time
};
inline constexpr int kTeardownActionCount = 5;

struct TeardownTransition {
  TeardownState next;
  TeardownAction action;
};

// rows: states in enum order; columns: events in enum order.
// clang-format off
inline constexpr auto kTeardownTable = [] {
  using S = TeardownState;
  using E = TeardownEvent;
  using A = TeardownAction;
  Table<S, E, TeardownTransition, kTeardownStateCount, kTeardownEventCount> t;
  auto set = [&](S s, E e, S next, A a) { t.set(s, e, {next, a}); };
  set(S::waiting,  E::settled,       S::cgroups,  A::remove_cgroups);
  set(S::cgroups,  E::cgroups_gone,  S::store,    A::remove_store);
  set(S::cgroups,  E::cgroup_busy,   S::emptying, A::kill_stragglers);
  set(S::cgroups,  E::busy_too_long, S::store,    A::remove_store);
  set(S::emptying, E::emptied,       S::cgroups,  A::remove_cgroups);
  set(S::store,    E::store_gone,    S::poststop, A::run_poststop);
  set(S::poststop, E::hooks_done,    S::done,     A::none);
  return t;
}();
// clang-format on

constexpr std::optional<TeardownTransition> apply(TeardownState from, TeardownEvent e) {
  return kTeardownTable.at(from, e);
}

std::string_view name(TeardownState s);
std::string_view name(TeardownEvent e);
std::string_view name(TeardownAction a);

}  // namespace ringc::fsm
