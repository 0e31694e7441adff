#include "core/engine/answer.h"

#include <fmt/format.h>

namespace ringc {

std::optional<Answer> answer(Awaiting& w, const Notice& n) {
  bool failed = n.gone || n.event == fsm::Event::init_failed;
  std::string why = n.error.empty()
                        ? fmt::format("container \"{}\" ended ({})", n.id, fsm::name(n.event))
                        : std::string(n.error);
  // A failed launch is answered when its teardown is done (the init's exit
  // and the rest come between), as the CLI returns.
  // An init that exits before it is ready is a failed launch too: its own
  // report of why may still be on the way.
  bool launch_failed = n.event == fsm::Event::init_failed ||
                       (n.event == fsm::Event::exited && n.from == fsm::State::creating) ||
                       !w.failure.empty();
  if (w.until != Until::gone && launch_failed && !n.gone) {
    if (w.failure.empty()) w.failure = why;
    return std::nullopt;
  }
  std::optional<Answer> ok;
  bool fail = failed;
  switch (w.until) {
    case Until::created:
      if (n.to == fsm::State::created) ok = Answer{};
      break;
    case Until::running:
      if (n.event == fsm::Event::exec_done) ok = Answer{};
      fail |= n.event == fsm::Event::exited || n.event == fsm::Event::release_failed;
      break;
    case Until::paused:
      if (n.event == fsm::Event::frozen) ok = Answer{};
      fail |= n.event == fsm::Event::exited || n.event == fsm::Event::freeze_failed;
      break;
    case Until::resumed:
      if (n.event == fsm::Event::thawed) ok = Answer{};
      fail |= n.event == fsm::Event::exited || n.event == fsm::Event::thaw_failed;
      break;
    case Until::exited:
      if (n.event == fsm::Event::exited) ok = Answer{true, {}, n.exit_code, {}};
      break;
    case Until::removed:
      if (n.event == fsm::Event::exited) w.exit_code = n.exit_code;
      if (n.gone && w.exit_code != kNoExitYet && n.error.empty())
        ok = Answer{true, {}, w.exit_code, {}};
      break;
    case Until::gone:
      if (n.gone && !n.error.empty()) return Answer{false, std::string(n.error), -1, {}};
      if (n.gone) ok = Answer{true, {}, -1, std::string(n.warning)};
      fail = false;
      break;
  }
  if (ok) return ok;
  // The init's own report may arrive after its exit: by the time nothing
  // is left it is in, and says more than "ended (exited)".
  if (fail)
    return Answer{false,
                  n.gone && !n.error.empty() ? std::string(n.error)
                  : w.failure.empty()        ? why
                                             : w.failure,
                  -1,
                  {}};
  return std::nullopt;
}

}  // namespace ringc
