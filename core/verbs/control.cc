// start, kill, delete, state and list: each reads the record, observes the
// kernel and sends the FSM an event; the table decides, the action follows.
#include <unistd.h>

#include <fmt/format.h>

#include <csignal>
#include <cstring>
#include <optional>

#include "cgroup/manager.h"
#include "cgroup/stats.h"
#include "core/base/id.h"
#include "core/base/sys.h"
#include "core/store/observe.h"
#include "core/store/state_json.h"
#include "core/verbs/container.h"
#include "core/verbs/on_engine.h"

namespace ringc {

Result<LoadedRecord> load_record(Runtime& rt, std::string_view id) {
  RINGC_TRY(validate_id(id));
  return rt.store().read(id);
}

namespace {

constexpr struct {
  const char* name;
  int sig;
} kSignals[] = {{"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
                {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
                {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
                {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
                {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
                {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
                {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
                {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
                {"SYS", SIGSYS}};
}  // namespace

int parse_signal(std::string_view s) {
  if (s.empty()) return -1;
  if (s.find_first_not_of("0123456789") == std::string_view::npos) {
    int n = std::atoi(std::string(s).c_str());
    return n >= 0 && n <= SIGRTMAX ? n : -1;  // 0: a liveness probe, as kill(2)
  }
  if (s.starts_with("SIG")) s.remove_prefix(3);
  for (auto& k : kSignals)
    if (s == k.name) return k.sig;
  if (s.starts_with("RTMIN")) {
    int off = s.size() > 6 ? std::atoi(std::string(s.substr(6)).c_str()) : 0;
    return SIGRTMIN + off <= SIGRTMAX ? SIGRTMIN + off : -1;
  }
  return -1;
}

// start, kill and delete are requests to an engine of one slot.
Result<void> start(Runtime& rt, std::string_view id) {
  RINGC_TRY(on_engine(rt, id, fsm::Event::start, SIGTERM, Until::running));
  return outcome::success();
}

Result<void> kill(Runtime& rt, std::string_view id, int sig, bool all) {
  RINGC_TRY(on_engine(rt, id, all ? fsm::Event::kill_all : fsm::Event::kill, sig));
  return outcome::success();
}

Result<void> remove(Runtime& rt, std::string_view id, bool force) {
  // Its warnings (a poststop hook's failure, a damaged record) went to
  // rt.warn as they came.
  RINGC_TRY(on_engine(rt, id, force ? fsm::Event::force_remove : fsm::Event::remove, SIGKILL,
                      Until::gone));
  return outcome::success();
}

Result<std::string> state(Runtime& rt, std::string_view id, bool pretty) {
  RINGC_TRY(auto rec, load_record(rt, id));
  // The cgroup is the record of OOM kills: the kernel counts them there for
  // as long as the container exists, whoever was watching.
  uint64_t ooms = 0;
  if (auto host = rt.cgroups())
    ooms = cgroup::oom_kills(cgroup::of(*host.value(), rec->cgroup()), rec->cgroup());
  return state_json(rec.view(), observed_state(rec.view()), pretty, true, ooms);
}

std::vector<ListEntry> list(Runtime& rt) {
  std::vector<ListEntry> out;
  for (auto& id : rt.store().list()) {
    auto rec = rt.store().read(id);
    if (!rec) {
      // Damaged (or claimed a moment ago, not yet written): listed with
      // why, so that it can be seen and removed (delete --force).
      std::string why = rec.error().what();
      std::string json = "{\"id\":\"";
      json_escape(json, id);
      json += "\",\"pid\":0,\"status\":\"unknown\",\"error\":\"";
      json_escape(json, why);
      json += "\"}";
      out.push_back({id, "", "", "", std::move(json), 0, std::nullopt, std::move(why)});
      continue;
    }
    const RecordView& v = rec.value().view();
    fsm::State s = observed_state(v);
    out.push_back({id, std::string(v.bundle()), format_created(v.created_ns()),
                   owner_name(v.owner()), state_json(v, s, false, true), shown_pid(v, s), s, ""});
  }
  return out;
}

}  // namespace ringc
