// The one-shot verbs (create, run -d, start, kill, pause, resume, update,
// delete) run on the engine, the daemon's interpreter of
// the table: an engine of one slot takes the container over from its
// record (as a restarted daemon does), makes the request and runs the ring
// until the request is answered (core/engine/answer.h). The container
// outlives the engine; nothing here waits beyond the answer.
#pragma once

#include <csignal>
#include <functional>
#include <optional>
#include <string_view>

#include "core/base/error.h"
#include "core/engine/answer.h"
#include "core/engine/runtime.h"
#include "fsm/lifecycle.h"

namespace ringc {

// e: the request; until: what answers it (none: it is done once made, as
// a kill). The request is engine.request(id, e, sig) unless `make` makes
// it (update carries resources). A delete --force of an entry whose
// record is damaged removes it by its cgroup, its warning in the answer.
using MakeRequest = std::function<Result<void>(Engine&)>;
Result<Answer> on_engine(Runtime& rt, std::string_view id, fsm::Event e, int sig = SIGTERM,
                         std::optional<Until> until = std::nullopt, const MakeRequest& make = {});

// An engine of one slot for a one-shot command: no spawner, unlinks made
// in this thread (a one-shot run pays no io-wq start-up).
EngineOptions one_shot(const Runtime& rt, bool record_adopted_exits);
// The engine's phases (and its inits' own) added to the command's
// timeline, which --debug prints: where a one-shot command's time went.
void note_phases(Runtime& rt, const Engine& engine);
// Runs the engine's ring until `answered` is set (by the caller's
// on_notice), with a deadline: an init stuck in the kernel (D state)
// never exits, and a verb must not hang for ever on it. A launch has
// none of its own: its init's handshake has the runtime's init timeout,
// its hooks the spec's, and runc waits for them as long. what: the
// request, for the error.
Result<void> until_answered(Engine& engine, const std::optional<Answer>& answered,
                            std::string_view id, std::string_view what, bool deadline = true);

// create and run -d: an engine of one slot launches the container and
// runs until it is `until` (created: waiting for start on its exec fifo;
// running). A failed launch is answered once nothing of it is left. The
// init's pid.
Result<pid_t> launch_on_engine(Runtime& rt, LaunchRequest req, Until until);

}  // namespace ringc
