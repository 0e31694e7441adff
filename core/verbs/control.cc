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
#include "core/verbs/lifecycle_hooks.h"
#include "core/verbs/teardown.h"

namespace ringc {

Result<LoadedRecord> load_record(Runtime& rt, std::string_view id) {
  RINGC_TRY(validate_id(id));
  return rt.store().read(id);
}

Result<void> persist(Runtime& rt, std::string_view id, const RecordView& r, fsm::State s) {
  RecordFields f = r.fields();
  f.status = s;
  return rt.store().write(id, f);
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

Result<fsm::Transition> transition(std::string_view id, fsm::State from, fsm::Event e) {
  auto r = fsm::apply(from, e);
  if (r) return *r.ok;
  // runc's words, which containerd's shim matches to know the exit is in.
  if (e == fsm::Event::kill && from >= fsm::State::stopped)
    return ringc_error(Errc::invalid_transition,
                       fmt::format("cannot kill container \"{}\": container not running", id));
  if (e == fsm::Event::exec && from == fsm::State::paused)
    return ringc_error(Errc::invalid_transition,
                       fmt::format("cannot exec in paused container \"{}\" (use --ignore-paused "
                                   "to override)",
                                   id));
  return ringc_error(Errc::invalid_transition, fmt::format("cannot {} container \"{}\" in state {}",
                                                           fsm::name(e), id, fsm::name(from)));
}

Result<void> start(Runtime& rt, std::string_view id) {
  RINGC_TRY(auto rec, load_record(rt, id));
  fsm::State now = observed_state(rec.view());
  RINGC_TRY(auto t, transition(id, now, fsm::Event::start));
  // release_init is the only action a valid start has.
  RINGC_TRY(release_init(rt, id));
  RINGC_TRY(persist(rt, id, rec.view(), t.next));
  if (!(rec->flags() & kRecordHooks)) return outcome::success();
  RINGC_TRY(auto spec, load_spec(std::string(rec->bundle())));
  return hooks_after_start(rt, spec, id, rec->pid(), rec->bundle());
}

Result<void> kill(Runtime& rt, std::string_view id, int sig, bool all) {
  RINGC_TRY(auto rec, load_record(rt, id));
  fsm::State now = observed_state(rec.view());
  RINGC_TRY(auto t, transition(id, now, all ? fsm::Event::kill_all : fsm::Event::kill));
  int fd = open_pidfd(rec.view());
  if (t.action == fsm::Action::signal_all) {
    // The cgroup, then the init through its pidfd (a record without a
    // cgroup still has it). A cgroup already removed (the container's
    // delete racing this) has nothing left to signal.
    RINGC_TRY(auto host, rt.cgroups());
    auto r = cgroup::signal_all(*host, rec->cgroup(), sig);
    if (fd >= 0) (void)sys::pidfd_send_signal(fd, sig);
    if (fd >= 0) ::close(fd);
    if (!r && r.error() != std::errc::no_such_file_or_directory &&
        r.error() != std::errc::no_such_device)
      return Error{r.error(), fmt::format("kill container \"{}\"", id)};
    return outcome::success();
  }
  if (fd < 0)
    return ringc_error(Errc::invalid_transition,
                       fmt::format("cannot kill container \"{}\": container not running", id));
  int e = sys::pidfd_send_signal(fd, sig);
  ::close(fd);
  if (e < 0) return neg_error(e, fmt::format("kill container \"{}\"", id));
  return outcome::success();
}

namespace {
// A directory whose record is damaged or missing: what its id still names
// goes (the cgroup, with every process in it), then the directory.
Result<void> remove_unrecorded(Runtime& rt, std::string_view id, const std::string& cg,
                               const Error& why) {
  if (why.is(Errc::corrupt_state))
    rt.warn(fmt::format("{}; removing container \"{}\" by its cgroup {}", why.what(), id, cg));
  RINGC_TRY(kill_and_wait(rt, -1, cg, false));
  RINGC_TRY(destroy_cgroup(rt, cg));
  return rt.store().remove(id);
}
}  // namespace

Result<void> remove(Runtime& rt, std::string_view id, bool force) {
  auto loaded = load_record(rt, id);
  if (!loaded) {
    // A record that can't be read still must not leak: --force clears
    // what the id names. As runc, --force on a container that is not there
    // is done already (engines call it after a delete that went through).
    if (auto cg = force ? rt.store().unrecorded_cgroup(id, loaded.error()) : std::nullopt)
      return remove_unrecorded(rt, id, *cg, loaded.error());
    if (force && loaded.error().is(Errc::not_found)) return outcome::success();
    return loaded.error();
  }
  auto& rec = loaded.value();
  fsm::State now = observed_state(rec.view());
  RINGC_TRY(auto t, transition(id, now, force ? fsm::Event::force_remove : fsm::Event::remove));
  if (t.action == fsm::Action::kill_and_destroy) {
    // "deleting" is recorded first: if the kill or teardown fails, the
    // container says so instead of looking alive.
    RINGC_TRY(persist(rt, id, rec.view(), t.next));
    int fd = open_pidfd(rec.view());
    auto r = kill_and_wait(rt, fd, rec->cgroup(), false);
    if (fd >= 0) ::close(fd);
    RINGC_TRY(r);
  }
  // poststop needs config.json; read before the record (and bundle path) go.
  std::optional<Spec> spec;
  if (rec->flags() & kRecordHooks) {
    if (auto s = load_spec(std::string(rec->bundle())))
      spec = std::move(s).value();
    else
      rt.warn("poststop hooks not run: " + s.error().what());
  }
  std::string bundle(rec->bundle());
  RINGC_TRY(destroy_cgroup(rt, rec->cgroup()));
  RINGC_TRY(rt.store().remove(id));
  if (spec) hooks_after_delete(rt, *spec, id, bundle);
  return outcome::success();
}

Result<std::string> state(Runtime& rt, std::string_view id, bool pretty) {
  RINGC_TRY(auto rec, load_record(rt, id));
  // The cgroup is the record of OOM kills: the kernel counts them there for
  // as long as the container exists, whoever was watching.
  uint64_t ooms = 0;
  if (auto host = rt.cgroups()) ooms = cgroup::oom_kills(*host.value(), rec->cgroup());
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
