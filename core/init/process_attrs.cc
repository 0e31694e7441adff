// Scheduling, personality, LSM labels and time offsets of the container's
// process (core/init/process_setup.h).
#include <fcntl.h>
#include <linux/ioprio.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/base/sys.h"
#include "core/init/process_setup.h"

namespace ringc {

namespace {
Result<void> write_proc(const char* path, std::string_view text, std::string_view what) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, fmt::format("{}: open {}", what, path));
  ssize_t n = ::write(fd, text.data(), text.size());
  int e = errno;
  ::close(fd);
  if (n < 0) return sys_error(e, std::string(what));
  return outcome::success();
}

bool apparmor_enabled() {
  int fd = ::open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char c = 0;
  bool on = ::read(fd, &c, 1) == 1 && c == 'Y';
  ::close(fd);
  return on;
}

bool selinux_enabled() {
  struct stat st;
  return ::stat("/sys/fs/selinux/enforce", &st) == 0;
}
}  // namespace

Result<void> apply_scheduling(const Process& p) {
  if (p.scheduler) {
    const Scheduler& s = *p.scheduler;
    sys::SchedAttr a;
    a.policy = uint32_t(s.policy);
    a.flags = s.flags;
    a.nice = s.nice;
    a.priority = uint32_t(s.priority);
    a.runtime = s.runtime;
    a.deadline = s.deadline;
    a.period = s.period;
    if (int r = sys::sched_setattr_self(a); r < 0) return sys_error(-r, "set process.scheduler");
  }
  if (p.io_priority) {
    int v = IOPRIO_PRIO_VALUE(p.io_priority->klass, p.io_priority->priority);
    if (int r = sys::ioprio_set_self(v); r < 0) return sys_error(-r, "set process.ioPriority");
  }
  return outcome::success();
}

Result<void> apply_personality(const Linux& l) {
  if (l.personality && ::personality(*l.personality) < 0)
    return sys_error(errno, "set linux.personality");
  return outcome::success();
}

Result<void> lsm_check(const Spec& s) {
  if (!s.process.apparmor_profile.empty() && !apparmor_enabled())
    return ringc_error(Errc::bad_spec,
                       fmt::format("process.apparmorProfile \"{}\": AppArmor is not enabled on "
                                   "this host",
                                   s.process.apparmor_profile));
  if (!s.linux_cfg.mount_label.empty() && selinux_enabled())
    return ringc_error(Errc::bad_spec,
                       "linux.mountLabel: SELinux mount labels are not supported by ringc yet");
  return outcome::success();
}

Result<void> apply_lsm_labels(const Process& p) {
  if (!p.apparmor_profile.empty()) {
    std::string text = "exec " + p.apparmor_profile;
    const char* path = "/proc/self/attr/apparmor/exec";
    struct stat st;
    if (::stat(path, &st) < 0) path = "/proc/self/attr/exec";
    RINGC_TRY(write_proc(path, text, "set process.apparmorProfile"));
  }
  if (!p.selinux_label.empty() && selinux_enabled()) {
    RINGC_TRY(write_proc("/proc/self/attr/exec", p.selinux_label, "set process.selinuxLabel"));
  }
  return outcome::success();
}

Result<void> write_time_offsets(const Linux& l) {
  std::string text;
  if (l.monotonic_offset)
    text +=
        fmt::format("monotonic {} {}\n", l.monotonic_offset->secs, l.monotonic_offset->nanosecs);
  if (l.boottime_offset)
    text += fmt::format("boottime {} {}\n", l.boottime_offset->secs, l.boottime_offset->nanosecs);
  if (text.empty()) return outcome::success();
  return write_proc("/proc/self/timens_offsets", text, "set linux.timeOffsets");
}

}  // namespace ringc
