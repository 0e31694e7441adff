// A container's creation, step by step: the second table of the
// container's `creating` state. The container's table says when a
// container is created (init_ready) or failed (init_failed, exited); this
// one names the step its launch is at, each moved by what completed: its
// v2 cgroup directory made through the ring, its init cloned (by the
// engine, or by the spawner process, whose answer is awaited even for a
// container deleted meanwhile), the init asking for the create hooks and
// the hooks done. `settled` comes when the container leaves `creating`.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "fsm/table.h"

namespace ringc::fsm {

enum class LaunchPhase : uint8_t { none, cgroup, spawning, handshake, create_hooks };
inline constexpr int kLaunchPhaseCount = 5;

enum class LaunchEvent : uint8_t {
  cgroup_queued,  // the v2 directory is an IORING_OP_MKDIRAT in flight
  sent,           // the spawner process has the request
  spawn_failed,   // it answered that it could not, or died first
  cloned,         // the init exists: its handshake and exit are awaited
  hooks_asked,    // the init waits for prestart and createRuntime hooks
  hooks_ran,      // they ran: the init goes on to pivot_root
  settled,        // the container left creating (created, failed, deleted)
};
inline constexpr int kLaunchEventCount = 7;

// rows: phases in enum order; columns: events in enum order.
// clang-format off
inline constexpr auto kLaunchTable = [] {
  using P = LaunchPhase;
  using E = LaunchEvent;
  Table<P, E, P, kLaunchPhaseCount, kLaunchEventCount> t;
  auto set = [&](P p, E e, P next) { t.set(p, e, next); };
  set(P::none,         E::cgroup_queued, P::cgroup);
  set(P::none,         E::sent,          P::spawning);
  set(P::none,         E::cloned,        P::handshake);
  set(P::cgroup,       E::sent,          P::spawning);
  set(P::cgroup,       E::cloned,        P::handshake);
  set(P::cgroup,       E::settled,       P::none);
  // Not settled while the spawner has the request: its answer (an init
  // to kill, for a container deleted meanwhile) is still to come.
  set(P::spawning,     E::cloned,        P::handshake);
  set(P::spawning,     E::spawn_failed,  P::none);
  set(P::handshake,    E::hooks_asked,   P::create_hooks);
  set(P::handshake,    E::settled,       P::none);
  set(P::create_hooks, E::hooks_ran,     P::handshake);
  set(P::create_hooks, E::settled,       P::none);
  return t;
}();
// clang-format on

constexpr std::optional<LaunchPhase> apply(LaunchPhase from, LaunchEvent e) {
  return kLaunchTable.at(from, e);
}

std::string_view name(LaunchPhase p);
std::string_view name(LaunchEvent e);

}  // namespace ringc::fsm
