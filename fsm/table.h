// The shape of the second tables (an exec'd process, a creation, a
// removal): cells of (state, event) holding what comes next, or nothing
// for an invalid transition. Data, filled at compile time.
#pragma once

#include <array>
#include <optional>

namespace ringc::fsm {

template <class State, class Event, class To, int kStates, int kEvents>
struct Table {
  std::array<std::array<std::optional<To>, kEvents>, kStates> cells{};
  constexpr void set(State s, Event e, To to) { cells[int(s)][int(e)] = to; }
  constexpr std::optional<To> at(State s, Event e) const { return cells[int(s)][int(e)]; }
};

}  // namespace ringc::fsm
