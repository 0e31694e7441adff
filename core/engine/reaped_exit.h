// One orphan's exit, as the daemon's reaper (core/supervisor/reaper.h)
// writes it on the daemon's socket and the engine reads it.
#pragma once

#include <cstdint>

namespace ringc {

struct ReapedExit {
  int32_t pid;
  int32_t status;  // as waitpid gives it
  uint64_t start_time;
};
static_assert(sizeof(ReapedExit) == 16);

}  // namespace ringc
