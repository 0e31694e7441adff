// A process exec'd into a container (runc exec): its own small table
// beside the container's. The container's table decides whether an exec
// may happen (its exec and exec-ignore-paused cells); this one follows
// the process from the setup process the engine clones to its exit.
//
// The setup ("middle") process joins the container's cgroups and
// namespaces, clones the process into its pid namespace and reports its
// pid; the process finishes its setup inside and execs, which closes its
// end of the socket (close-on-exec); only then is its exit awaited, so an
// exit never overtakes the exec it follows.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "fsm/table.h"

namespace ringc::fsm {

enum class ExecState : uint8_t { setting_up, starting, running, exited, failed };
inline constexpr int kExecStateCount = 5;

enum class ExecEvent : uint8_t {
  pid_reported,  // the setup process cloned the process and said its pid
  exec_seen,     // the socket closed: the process exec'd (or died, its exit then tells)
  setup_failed,  // an error message, the setup process gone without a pid, or the deadline
  exited,        // the process's exit, with its code
};
inline constexpr int kExecEventCount = 4;

enum class ExecAction : uint8_t {
  none,
  watch_exec,      // a pidfd of the process; read its socket until it closes
  answer_started,  // the caller hears the pid; the exit is awaited
  answer_failed,   // the caller hears why; a process that exists is reaped
  answer_exit,     // the caller hears the exit code
};
inline constexpr int kExecActionCount = 5;

struct ExecTransition {
  ExecState next;
  ExecAction action;
};

// rows: states in enum order; columns: events in enum order.
// clang-format off
inline constexpr auto kExecTable = [] {
  using S = ExecState;
  using E = ExecEvent;
  using A = ExecAction;
  Table<S, E, ExecTransition, kExecStateCount, kExecEventCount> t;
  auto set = [&](S s, E e, S next, A a) { t.set(s, e, {next, a}); };
  set(S::setting_up, E::pid_reported, S::starting, A::watch_exec);
  set(S::setting_up, E::setup_failed, S::failed,   A::answer_failed);
  set(S::starting,   E::exec_seen,    S::running,  A::answer_started);
  set(S::starting,   E::setup_failed, S::failed,   A::answer_failed);
  set(S::running,    E::exited,       S::exited,   A::answer_exit);
  // A process whose setup failed inside the container exits next: reaped.
  set(S::failed,     E::exited,       S::failed,   A::none);
  return t;
}();
// clang-format on

constexpr std::optional<ExecTransition> apply(ExecState from, ExecEvent e) {
  return kExecTable.at(from, e);
}

std::string_view name(ExecState s);
std::string_view name(ExecEvent e);
std::string_view name(ExecAction a);

}  // namespace ringc::fsm
