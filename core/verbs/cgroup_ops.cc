// pause, resume and update (on the engine), and the process list.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

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

namespace {
// Without cgroups (a rootless ringc): the processes in the init's pid
// namespace that this user may look at, or the init alone when it has
// none of its own.
std::vector<pid_t> in_pid_namespace(pid_t init) {
  auto ns_of = [](pid_t pid) -> ino_t {
    struct stat st;
    return ::stat(fmt::format("/proc/{}/ns/pid", pid).c_str(), &st) == 0 ? st.st_ino : 0;
  };
  std::vector<pid_t> out;
  ino_t ns = ns_of(init);
  if (ns == 0) return out;
  if (ns == ns_of(::getpid())) return {init};
  DIR* d = ::opendir("/proc");
  if (!d) return {init};
  while (dirent* e = ::readdir(d)) {
    pid_t pid = std::atoi(e->d_name);
    if (pid > 0 && ns_of(pid) == ns) out.push_back(pid);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

Result<std::vector<pid_t>> processes(Runtime& rt, std::string_view id) {
  RINGC_TRY(auto rec, load_record(rt, id));
  RINGC_TRY(auto detected, rt.cgroups());
  const cgroup::Host& host = cgroup::of(*detected, rec->cgroup());
  if (host.hierarchies.empty())
    return is_alive(rec.view()) ? in_pid_namespace(rec->pid()) : std::vector<pid_t>{};
  auto list = cgroup::pids(host, rec->cgroup());
  if (!list) {
    if (list.error() == std::errc::no_such_file_or_directory) return std::vector<pid_t>{};
    return Error{list.error(), fmt::format("list processes of container \"{}\"", id)};
  }
  return list.value();
}

}  // namespace ringc
