#include "fsm/lifecycle.h"

#include "fsm/exec.h"
#include "fsm/freezer.h"
#include "fsm/launch.h"
#include "fsm/teardown.h"

namespace ringc::fsm {

namespace {
constexpr std::array<std::string_view, kStateCount> kStateNames = {
    "creating", "created", "running", "paused", "stopping", "stopped", "deleting"};
// Events are named as users type them: "delete", not the enumerator.
constexpr std::array<std::string_view, kEventCount> kEventNames = {
    "create",         "start",         "kill",          "kill-all",
    "pause",          "resume",        "stop",          "delete",
    "force-delete",   "update",        "exec",          "exec-ignore-paused",
    "init_ready",     "init_failed",   "exec_done",     "exited",
    "frozen",         "thawed",        "freeze_failed", "thaw_failed",
    "release_failed", "grace_expired", "restart_due",   "adopted",
    "adopted_gone"};
constexpr std::array<std::string_view, kActionCount> kActionNames = {
    "none",         "record_created", "release_init",     "signal",   "signal_all",
    "freeze",       "thaw",           "terminate",        "kill_now", "record_exit",
    "record_stop",  "destroy",        "kill_and_destroy", "respawn",  "set_resources",
    "spawn_process"};
}  // namespace

std::string_view name(State s) {
  return kStateNames[int(s)];
}
std::string_view name(Event e) {
  return kEventNames[int(e)];
}
std::string_view name(Action a) {
  return kActionNames[int(a)];
}

std::optional<State> parse_state(std::string_view s) {
  for (int i = 0; i < kStateCount; ++i)
    if (kStateNames[i] == s) return State(i);
  return std::nullopt;
}

}  // namespace ringc::fsm

namespace ringc::fsm {

namespace {
constexpr std::array<std::string_view, kExecStateCount> kExecStateNames = {
    "setting_up", "starting", "running", "exited", "failed"};
constexpr std::array<std::string_view, kExecEventCount> kExecEventNames = {
    "pid_reported", "exec_seen", "setup_failed", "exited"};
constexpr std::array<std::string_view, kExecActionCount> kExecActionNames = {
    "none", "watch_exec", "answer_started", "answer_failed", "answer_exit"};
}  // namespace

std::string_view name(ExecState s) {
  return kExecStateNames[int(s)];
}
std::string_view name(ExecEvent e) {
  return kExecEventNames[int(e)];
}
std::string_view name(ExecAction a) {
  return kExecActionNames[int(a)];
}

}  // namespace ringc::fsm

namespace ringc::fsm {

namespace {
constexpr std::array<std::string_view, kTeardownStateCount> kTeardownStateNames = {
    "waiting", "cgroups", "emptying", "store", "poststop", "done"};
constexpr std::array<std::string_view, kTeardownEventCount> kTeardownEventNames = {
    "settled", "cgroups_gone", "cgroup_busy", "busy_too_long",
    "emptied", "store_gone",   "hooks_done"};
constexpr std::array<std::string_view, kTeardownActionCount> kTeardownActionNames = {
    "none", "remove_cgroups", "kill_stragglers", "remove_store", "run_poststop"};
}  // namespace

std::string_view name(TeardownState s) {
  return kTeardownStateNames[int(s)];
}
std::string_view name(TeardownEvent e) {
  return kTeardownEventNames[int(e)];
}
std::string_view name(TeardownAction a) {
  return kTeardownActionNames[int(a)];
}

}  // namespace ringc::fsm

namespace ringc::fsm {

namespace {
constexpr std::array<std::string_view, kLaunchPhaseCount> kLaunchPhaseNames = {
    "none", "cgroup", "spawning", "handshake", "create_hooks"};
constexpr std::array<std::string_view, kLaunchEventCount> kLaunchEventNames = {
    "cgroup_queued", "sent", "spawn_failed", "cloned", "hooks_asked", "hooks_ran", "settled"};
}  // namespace

std::string_view name(LaunchPhase p) {
  return kLaunchPhaseNames[int(p)];
}
std::string_view name(LaunchEvent e) {
  return kLaunchEventNames[int(e)];
}

}  // namespace ringc::fsm

namespace ringc::fsm {

namespace {
constexpr std::array<std::string_view, kFreezerStateCount> kFreezerStateNames = {
    "thawed", "freezing", "frozen", "thawing"};
constexpr std::array<std::string_view, kFreezerEventCount> kFreezerEventNames = {
    "freeze", "thaw", "settled", "refused", "kill", "adopted"};
constexpr std::array<std::string_view, kFreezerActionCount> kFreezerActionNames = {
    "none",        "write_frozen", "write_thawed",    "tell_frozen",
    "tell_thawed", "undo_freeze",  "tell_not_thawed", "thaw_for_kill"};
}  // namespace

std::string_view name(FreezerState s) {
  return kFreezerStateNames[int(s)];
}
std::string_view name(FreezerEvent e) {
  return kFreezerEventNames[int(e)];
}
std::string_view name(FreezerAction a) {
  return kFreezerActionNames[int(a)];
}

}  // namespace ringc::fsm
