// What every pool asks of a container before anything of its own: that
// nothing of it can outlive its init and that it holds none of the
// capabilities that would let it change the pooled object.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "core/spec/spec.h"

namespace ringc {

// A pid namespace of its own (every process dies with the init), no user
// namespace, and none of `caps` ({CAP_*, its name}) in any capability set
// (an absent process.capabilities keeps them all). Why not, or nothing.
std::optional<std::string> unconfined(const Spec& spec,
                                      std::initializer_list<std::pair<int, const char*>> caps);

}  // namespace ringc
