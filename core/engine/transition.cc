#include "core/engine/transition.h"

#include <fmt/format.h>

namespace ringc {

Result<fsm::Transition> transition(std::string_view id, fsm::State from, fsm::Event e) {
  auto r = fsm::apply(from, e);
  if (r) return *r.ok;
  // runc's words, which containerd's shim matches to know the exit is in.
  if (e == fsm::Event::kill && from >= fsm::State::stopped)
    return ringc_error(Errc::invalid_transition,
                       fmt::format("cannot kill container \"{}\": container not running", id));
  if (e == fsm::Event::exec && from == fsm::State::paused)
    return ringc_error(Errc::invalid_transition,
                       fmt::format("cannot exec in paused container \"{}\" (use --ignore-paused "
                                   "to override)",
                                   id));
  return ringc_error(Errc::invalid_transition, fmt::format("cannot {} container \"{}\" in state {}",
                                                           fsm::name(e), id, fsm::name(from)));
}

}  // namespace ringc
