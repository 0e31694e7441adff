// pause, resume and update (on the engine), and the process list.
#include <fmt/format.h>

#include "cgroup/manager.h"
#include "cgroup/resources.h"
#include "core/store/observe.h"
#include "core/verbs/container.h"
#include "core/verbs/on_engine.h"

namespace ringc {

// Answered once the kernel reports the cgroup frozen / thawed.
Result<void> pause(Runtime& rt, std::string_view id) {
  RINGC_TRY(on_engine(rt, id, fsm::Event::pause, SIGTERM, Until::paused));
  return outcome::success();
}
Result<void> resume(Runtime& rt, std::string_view id) {
  RINGC_TRY(on_engine(rt, id, fsm::Event::resume, SIGTERM, Until::resumed));
  return outcome::success();
}

Result<void> update(Runtime& rt, std::string_view id, cgroup::Resources resources) {
  RINGC_TRY(on_engine(rt, id, fsm::Event::update, 0, std::nullopt,
                      [&](Engine& e) { return e.update(id, std::move(resources)); }));
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
