// A request asked of the container table: the transition, or the
// refusal in runc's words (containerd's shim matches some of them).
#pragma once

#include <string_view>

#include "core/base/error.h"
#include "fsm/lifecycle.h"

namespace ringc {

Result<fsm::Transition> transition(std::string_view id, fsm::State from, fsm::Event e);

}  // namespace ringc
