#include "fsm/render.h"

#include "fsm/exec.h"
#include "fsm/lifecycle.h"

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
  out +=
      "\n## A process exec'd into a container\n\n"
      "`ringc exec` (and the daemon's `exec`) is allowed by the `exec` and "
      "`exec-ignore-paused` cells above; the process itself then follows the table in "
      "`fsm/exec.h`, from the setup process the engine clones to its exit.\n\n"
      "```mermaid\nstateDiagram-v2\n    [*] --> setting_up: exec\n";
  std::string rows;
  for (int s = 0; s < kExecStateCount; ++s)
    for (int e = 0; e < kExecEventCount; ++e) {
      auto t = apply(ExecState(s), ExecEvent(e));
      if (!t) continue;
      std::string from = str(name(ExecState(s))), to = str(name(t->next));
      std::string ev = str(name(ExecEvent(e))), act = str(name(t->action));
      out += "    " + from + " --> " + to + ": " + ev;
      if (t->action != ExecAction::none) out += " / " + act;
      out += "\n";
      rows += "| " + from + " | " + ev + " | " + to + " | " + act + " |\n";
    }
  out +=
      "    exited --> [*]\n    failed --> [*]\n```\n\n"
      "| state | event | next state | action |\n|---|---|---|---|\n" +
      rows;
  return out;
}

}  // namespace ringc::fsm
