// When a request made of the engine is answered, and with what: the one
// rule for the daemon's replies and for the one-shot verbs that run on an
// engine of their own (core/verbs/on_engine.h). A request waits for a
// notice about its container; a failed launch is answered only once
// nothing of it is left, so the caller finds no cgroup, record or process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/engine/engine.h"

namespace ringc {

enum class Until : uint8_t {
  created,  // the init is ready, waiting for start
  running,  // the program exec'd (and poststart hooks ran)
  paused,   // the kernel reports the cgroup frozen
  resumed,  // thawed
  exited,   // the init's exit, with its code
  removed,  // run --rm in the foreground: the exit code, once nothing is left
  gone,     // delete: nothing is left
};

inline constexpr int kNoExitYet = -2;

// One request's wait, fed every notice about its container.
struct Awaiting {
  Until until;
  int exit_code = kNoExitYet;  // removed: the code, kept until the container is gone
  std::string failure;         // why its launch failed, told once nothing of it is left
};

struct Answer {
  bool ok = true;
  std::string error;    // !ok: why
  int exit_code = -1;   // exited, removed
  std::string warning;  // gone: a poststop hook that failed
};

// The answer this notice gives, or nothing yet.
std::optional<Answer> answer(Awaiting& w, const Notice& n);

}  // namespace ringc
