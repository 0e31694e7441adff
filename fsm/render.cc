#include "fsm/render.h"

#include <initializer_list>

#include "fsm/exec.h"
#include "fsm/freezer.h"
#include "fsm/launch.h"
#include "fsm/lifecycle.h"
#include "fsm/teardown.h"

namespace ringc::fsm {

namespace {
template <class F>
void each_valid(F&& f) {
  for (int s = 0; s < kStateCount; ++s)
    for (int e = 0; e < kEventCount; ++e) {
      auto r = apply(State(s), Event(e));
      if (r) f(State(s), Event(e), *r.ok);
    }
}
std::string str(std::string_view v) {
  return std::string(v);
}

// A second table (an exec'd process, a removal): a heading, its mermaid
// diagram from the first state, and its cells.
template <class St, class Ev>
std::string render_section(std::string_view title, std::string_view intro, std::string_view entry,
                           int states, int events, std::initializer_list<std::string_view> ends) {
  std::string out = "\n## " + str(title) + "\n\n" + str(intro) +
                    "\n\n```mermaid\nstateDiagram-v2\n    [*] --> " + str(name(St(0))) + ": " +
                    str(entry) + "\n";
  std::string rows;
  for (int s = 0; s < states; ++s)
    for (int e = 0; e < events; ++e) {
      auto t = apply(St(s), Ev(e));
      if (!t) continue;
      std::string from = str(name(St(s))), to, act = "none";
      if constexpr (requires { t->action; }) {
        to = str(name(t->next));
        act = str(name(t->action));
      } else {  // a table of steps whose work is the completions' (launch)
        to = str(name(*t));
      }
      std::string ev = str(name(Ev(e)));
      out += "    " + from + " --> " + to + ": " + ev;
      if (act != "none") out += " / " + act;
      out += "\n";
      rows += "| " + from + " | " + ev + " | " + to + " | " + act + " |\n";
    }
  for (auto end : ends) out += "    " + str(end) + " --> [*]\n";
  return out + "```\n\n| state | event | next state | action |\n|---|---|---|---|\n" + rows;
}
}  // namespace

std::string render(Format f) {
  std::string out;
  if (f == Format::mermaid) {
    out += "stateDiagram-v2\n    [*] --> creating: create\n";
    each_valid([&](State s, Event e, Transition t) {
      out += "    " + str(name(s)) + " --> " + str(name(t.next)) + ": " + str(name(e));
      if (t.action != Action::none) out += " / " + str(name(t.action));
      out += "\n";
    });
    out += "    deleting --> [*]\n";
  } else {
    out +=
        "digraph lifecycle {\n  rankdir=LR;\n  start [shape=point];\n"
        "  start -> creating [label=\"create\"];\n";
    each_valid([&](State s, Event e, Transition t) {
      out += "  " + str(name(s)) + " -> " + str(name(t.next)) + " [label=\"" + str(name(e));
      if (t.action != Action::none) out += " / " + str(name(t.action));
      out += "\"];\n";
    });
    out += "}\n";
  }
  return out;
}

std::string render_document() {
  std::string out =
      "# Container lifecycle\n\n"
      "Generated from the transition table in `fsm/lifecycle.h` by `ringc fsm --format "
      "markdown`; a test fails when this file is stale. Every cell not listed is an invalid "
      "transition (`cannot <event> container \"<id>\" in state <state>`).\n\n"
      "```mermaid\n" +
      render(Format::mermaid) +
      "```\n\n| state | event | next state | action |\n|---|---|---|---|\n";
  each_valid([&](State s, Event e, Transition t) {
    out += "| " + str(name(s)) + " | " + str(name(e)) + " | " + str(name(t.next)) + " | " +
           str(name(t.action)) + " |\n";
  });
  out += render_section<ExecState, ExecEvent>(
      "A process exec'd into a container",
      "`ringc exec` (and the daemon's `exec`) is allowed by the `exec` and "
      "`exec-ignore-paused` cells above; the process itself then follows the table in "
      "`fsm/exec.h`, from the setup process the engine clones to its exit.",
      "exec", kExecStateCount, kExecEventCount, {"exited", "failed"});
  out += render_section<LaunchPhase, LaunchEvent>(
      "Creation, step by step",
      "A container in `creating` is at one step of its launch, `fsm/launch.h`: each moved by "
      "what completed (the v2 directory made through the ring, the init cloned by the engine "
      "or by the spawner process, the init asking for its create hooks and the hooks done); "
      "`settled` when the container leaves `creating`, except while the spawner has the "
      "request, whose answer is awaited even for a container deleted meanwhile.",
      "create", kLaunchPhaseCount, kLaunchEventCount, {"none"});
  out += render_section<FreezerState, FreezerEvent>(
      "Pause and resume, step by step",
      "The `freeze` and `thaw` actions above are followed by the table in `fsm/freezer.h` "
      "until the kernel has done what was asked (cgroup.events polled through the ring on "
      "v2; on v1-only hosts, which notify nothing, freezer.state re-read on ring timers), "
      "each outcome told to the container's table as `frozen`, `thawed`, `freeze_failed` "
      "or `thaw_failed`. A v1-frozen task dies of SIGKILL only once thawed, so a kill "
      "thaws what is frozen or freezing.",
      "create", kFreezerStateCount, kFreezerEventCount, {});
  out += render_section<TeardownState, TeardownEvent>(
      "Removal, step by step",
      "A container in `deleting` (the `destroy` and `kill_and_destroy` actions above) is "
      "removed by the table in `fsm/teardown.h`: each event is made once what its step waits "
      "for (the init's exit, the rmdirs and unlinks in flight, a retry's poll or timer, the "
      "poststop hooks) has completed; at `done` the container is gone.",
      "destroy", kTeardownStateCount, kTeardownEventCount, {"done"});
  return out;
}

}  // namespace ringc::fsm
