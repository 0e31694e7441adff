// A container's freezer, the second table of pause and resume. The
// container's table decides that a container pauses or resumes (its
// freeze and thaw actions, committed at once); this one follows the
// kernel until it has done so (cgroup.events on v2, freezer.state on v1),
// and turns what the kernel did into the container's observations:
// frozen, thawed, freeze_failed, thaw_failed. A v1-frozen task dies of
// SIGKILL only once thawed, so a kill thaws what is frozen or freezing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "fsm/table.h"

namespace ringc::fsm {

enum class FreezerState : uint8_t { thawed, freezing, frozen, thawing };
inline constexpr int kFreezerStateCount = 4;

enum class FreezerEvent : uint8_t {
  freeze,   // pause (the container's freeze action)
  thaw,     // resume (its thaw action)
  settled,  // the kernel says the cgroup is as asked
  refused,  // the write failed, or the kernel did not settle by the deadline
  kill,     // a SIGKILL is to land
  adopted,  // taken over from a record that says paused
};
inline constexpr int kFreezerEventCount = 6;

enum class FreezerAction : uint8_t {
  none,
  write_frozen,     // ask the kernel to freeze, then await it settled
  write_thawed,     // ask it to thaw, then await it settled
  tell_frozen,      // the container's `frozen`
  tell_thawed,      // its `thawed`
  undo_freeze,      // thaw what froze, then the container's `freeze_failed`
  tell_not_thawed,  // the container's `thaw_failed`: it stays paused
  thaw_for_kill,    // ask the kernel to thaw, nothing awaited or told
};
inline constexpr int kFreezerActionCount = 8;

struct FreezerTransition {
  FreezerState next;
  FreezerAction action;
};

// rows: states in enum order; columns: events in enum order.
// clang-format off
inline constexpr auto kFreezerTable = [] {
  using S = FreezerState;
  using E = FreezerEvent;
  using A = FreezerAction;
  Table<S, E, FreezerTransition, kFreezerStateCount, kFreezerEventCount> t;
  auto set = [&](S s, E e, S next, A a) { t.set(s, e, {next, a}); };
  set(S::thawed,   E::freeze,  S::freezing, A::write_frozen);
  set(S::thawed,   E::kill,    S::thawed,   A::none);
  set(S::thawed,   E::adopted, S::frozen,   A::none);
  set(S::freezing, E::settled, S::frozen,   A::tell_frozen);
  set(S::freezing, E::refused, S::thawed,   A::undo_freeze);
  set(S::freezing, E::thaw,    S::thawing,  A::write_thawed);  // resumed while pausing
  set(S::freezing, E::kill,    S::thawed,   A::thaw_for_kill);
  set(S::frozen,   E::thaw,    S::thawing,  A::write_thawed);
  set(S::frozen,   E::kill,    S::thawed,   A::thaw_for_kill);
  set(S::thawing,  E::settled, S::thawed,   A::tell_thawed);
  set(S::thawing,  E::refused, S::frozen,   A::tell_not_thawed);
  set(S::thawing,  E::freeze,  S::freezing, A::write_frozen);  // paused while resuming
  set(S::thawing,  E::kill,    S::thawing,  A::none);
  return t;
}();
// clang-format on

constexpr std::optional<FreezerTransition> apply(FreezerState from, FreezerEvent e) {
  return kFreezerTable.at(from, e);
}

std::string_view name(FreezerState s);
std::string_view name(FreezerEvent e);
std::string_view name(FreezerAction a);

}  // namespace ringc::fsm
