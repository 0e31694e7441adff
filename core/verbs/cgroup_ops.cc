// pause, resume, update and the process list: the container's cgroup,
// driven by the FSM's freeze / thaw / set_resources actions.
#include <fmt/format.h>

#include "cgroup/manager.h"
#include "cgroup/resources.h"
#include "core/store/observe.h"
#include "core/verbs/container.h"
#include "core/verbs/teardown.h"

namespace ringc {

namespace {
constexpr std::chrono::milliseconds kFreezeDeadline{10'000};

Result<void> change(Runtime& rt, std::string_view id, fsm::Event e) {
  RINGC_TRY(auto rec, load_record(rt, id));
  fsm::State now = observed_state(rec.view());
  RINGC_TRY(auto t, transition(id, now, e));
  bool freeze = t.action == fsm::Action::freeze;
  RINGC_TRY(set_frozen(rt, rec->cgroup(), freeze, kFreezeDeadline));
  return persist(rt, id, rec.view(), t.next);
}
}  // namespace

Result<void> pause(Runtime& rt, std::string_view id) {
  return change(rt, id, fsm::Event::pause);
}
Result<void> resume(Runtime& rt, std::string_view id) {
  return change(rt, id, fsm::Event::resume);
}

Result<void> update(Runtime& rt, std::string_view id, cgroup::Resources resources) {
  RINGC_TRY(auto rec, load_record(rt, id));
  RINGC_TRY(transition(id, observed_state(rec.view()), fsm::Event::update));
  RINGC_TRY(auto host, rt.cgroups());
  resources.devices.clear();
  if (auto why = cgroup::unsupported(*host, resources))
    return ringc_error(Errc::bad_spec, fmt::format("update: resources{}", *why));
  auto r = cgroup::apply(*host, rec->cgroup(), resources, cgroup::Part::all);
  if (!r) return Error{r.error().code, "update: write " + r.error().file};
  return outcome::success();
}

Result<std::vector<pid_t>> processes(Runtime& rt, std::string_view id) {
  RINGC_TRY(auto rec, load_record(rt, id));
  RINGC_TRY(auto host, rt.cgroups());
  auto list = cgroup::pids(*host, rec->cgroup());
  if (!list) {
    if (list.error() == std::errc::no_such_file_or_directory) return std::vector<pid_t>{};
    return Error{list.error(), fmt::format("list processes of container \"{}\"", id)};
  }
  return list.value();
}

}  // namespace ringc
