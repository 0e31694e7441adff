#include "bench/bare_child.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstring>

#include "cgroup/devices_bpf.h"
#include "cgroup/files.h"
#include "cgroup/layout.h"
#include "cgroup/resources.h"
#include "core/base/sys.h"
#include "core/init/process_setup.h"

namespace ringc::bench {
namespace {

[[noreturn]] void fail(int step, const char* what) {
  fmt::print(stderr, "container child: {}: {}\n", what, std::strerror(errno));
  _exit(step);
}

void write_or_fail(int step, const std::string& file, const std::string& value) {
  if (int r = cgroup::write_text(file, value); r < 0) {
    errno = -r;
    fail(step, file.c_str());
  }
}

void mount_or_fail(int step, const char* src, const char* dst, const char* type,
                   unsigned long flags, const char* data) {
  if (mount(src, dst, type, flags, data) < 0) fail(step, dst);
}

void join_cgroups(const std::vector<Hierarchy>& parents, const std::vector<std::string>& cgroups) {
  for (size_t i = 0; i < cgroups.size(); ++i) {
    const std::string& dir = cgroups[i];
    if (mkdir(dir.c_str(), 0755) < 0 && errno != EEXIST) fail(13, dir.c_str());
    if (!parents[i].cpus.empty()) {
      write_or_fail(14, dir + "/cpuset.sched_load_balance", "0");
      write_or_fail(14, dir + "/cpuset.cpus", parents[i].cpus);
      write_or_fail(14, dir + "/cpuset.mems", parents[i].mems);
    }
    write_or_fail(14, dir + "/cgroup.procs", "0");
  }
}

// In the bound root, before pivot_root (paths relative to it).
void standard_mounts(Setup setup) {
  const unsigned long safe = MS_NOSUID | MS_NOEXEC | MS_NODEV;
  mount_or_fail(17, "proc", "proc", "proc", safe, nullptr);
  mount_or_fail(17, "tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  for (const char* d : {"dev/pts", "dev/shm", "dev/mqueue"})
    if (mkdir(d, 0755) < 0) fail(18, d);
  mount_or_fail(17, "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620");
  mount_or_fail(17, "shm", "dev/shm", "tmpfs", safe, "mode=1777,size=65536k");
  mount_or_fail(17, "mqueue", "dev/mqueue", "mqueue", safe, nullptr);
  mount_or_fail(17, "sysfs", "sys", "sysfs", safe | MS_RDONLY, nullptr);
  if (setup != Setup::config) return;
  umask(0);
  const struct {
    const char* path;
    unsigned minor;
  } devices[] = {
      {"dev/null", 3}, {"dev/zero", 5}, {"dev/full", 7}, {"dev/random", 8}, {"dev/urandom", 9}};
  for (const auto& d : devices)
    if (mknod(d.path, S_IFCHR | 0666, makedev(1, d.minor)) < 0) fail(24, d.path);
  if (mknod("dev/tty", S_IFCHR | 0666, makedev(5, 0)) < 0) fail(24, "dev/tty");
  const char* links[][2] = {{"/proc/self/fd", "dev/fd"},       {"/proc/self/fd/0", "dev/stdin"},
                            {"/proc/self/fd/1", "dev/stdout"}, {"/proc/self/fd/2", "dev/stderr"},
                            {"pts/ptmx", "dev/ptmx"},          {"/proc/kcore", "dev/core"}};
  for (auto& l : links)
    if (symlink(l[0], l[1]) < 0) fail(25, l[1]);
}

// After pivot_root: the default config's masked paths (files under
// /dev/null, directories under one empty read-only tmpfs bound again over
// each after the first) and read-only paths.
void mask_and_protect() {
  const char* first_dir = nullptr;
  for (const char* p : {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                        "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}) {
    struct stat st {};
    if (stat(p, &st) < 0) continue;
    if (!S_ISDIR(st.st_mode))
      mount_or_fail(26, "/dev/null", p, nullptr, MS_BIND, nullptr);
    else if (!first_dir)
      mount_or_fail(26, "tmpfs", first_dir = p, "tmpfs", MS_RDONLY, "size=0k");
    else
      mount_or_fail(26, first_dir, p, nullptr, MS_BIND, nullptr);
  }
  for (const char* p : {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}) {
    if (mount(p, p, nullptr, MS_BIND | MS_REC, nullptr) < 0) {
      if (errno == ENOENT) continue;
      fail(27, p);
    }
    mount_or_fail(27, nullptr, p, nullptr,
                  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr);
  }
}

// The default config's process: RLIMIT_NOFILE 1024, the bounding set cut
// to three capabilities (one prctl each, as the kernel offers no other
// way), the other sets set to them, no_new_privs.
void restrict_process() {
  rlimit nofile{1024, 1024};
  if (setrlimit(RLIMIT_NOFILE, &nofile) < 0) fail(28, "setrlimit");
  const unsigned keep[] = {CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE};
  uint64_t mask = 0;
  for (unsigned c : keep) mask |= uint64_t(1) << c;
  const int last = last_cap();
  for (int c = 0; c <= last; ++c)
    if (!(mask >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) fail(29, "drop bounding cap");
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = data[0].inheritable = uint32_t(mask);  // all below 32
  if (syscall(SYS_capset, &header, data) < 0) fail(30, "capset");
  for (unsigned c : keep)
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) fail(31, "raise ambient cap");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(32, "no_new_privs");
}

// The default config's device rules (deny all, then runc's allow-list),
// as ringc's init applies them first thing.
void restrict_devices(const ChildPlan& plan) {
  if (plan.device_prog >= 0) {
    int dir = open(plan.device_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0 || cgroup::attach_loaded_program(dir, plan.device_prog) < 0)
      fail(33, "attach the device program");
    close(dir);
    return;
  }
  write_or_fail(33, plan.device_dir + "/devices.deny", "a");
  for (const auto& rule : cgroup::default_allowed_devices())
    write_or_fail(33, plan.device_dir + (rule.allow ? "/devices.allow" : "/devices.deny"),
                  cgroup::dev_rule(rule));
}

}  // namespace

int preload_default_device_program() {
  auto host = cgroup::detect();
  if (!host) return -ENODATA;
  cgroup::Resources r;
  r.devices.push_back({});  // deny all, the default config's one rule
  return cgroup::preload_device_program(*host.value(), r);
}

std::vector<Hierarchy> hierarchies() {
  auto host = cgroup::detect();
  if (!host) return {};
  std::vector<Hierarchy> out;
  for (const auto& h : host.value()->hierarchies) {
    Hierarchy mine{h.mount, "", "", h.v2,
                   !h.v2 && h.controllers.find("devices") != std::string::npos};
    if (!h.v2 && h.controllers.find("cpuset") != std::string::npos) {
      cgroup::for_each_line(cgroup::read_text(h.mount + "/cpuset.cpus"),
                            [&](std::string_view l) { mine.cpus.assign(l); });
      cgroup::for_each_line(cgroup::read_text(h.mount + "/cpuset.mems"),
                            [&](std::string_view l) { mine.mems.assign(l); });
    }
    out.push_back(std::move(mine));
  }
  return out;
}

void bare_child(const ChildPlan& plan) {
  if (plan.netns_fd >= 0 && setns(plan.netns_fd, CLONE_NEWNET) < 0) fail(10, "setns");
  int net = plan.netns_fd >= 0 ? 0 : CLONE_NEWNET;
  if (unshare(CLONE_NEWNS | net | CLONE_NEWIPC | CLONE_NEWUTS) < 0) fail(10, "unshare");
  if (sethostname("bare", 4) < 0) fail(11, "sethostname");
  mount_or_fail(12, nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  join_cgroups(plan.parents, plan.cgroups);
  if (plan.setup == Setup::config && !plan.device_dir.empty()) restrict_devices(plan);
  const char* root = plan.rootfs.c_str();
  mount_or_fail(15, root, root, nullptr, MS_BIND | MS_REC, nullptr);
  if (chdir(root) < 0) fail(16, "chdir rootfs");
  if (plan.setup != Setup::bare) standard_mounts(plan.setup);
  if (sys::pivot_root(".", ".") < 0) fail(19, "pivot_root");
  if (umount2(".", MNT_DETACH) < 0) fail(20, "umount old root");
  if (chdir("/") < 0) fail(21, "chdir /");
  if (plan.setup == Setup::config) mask_and_protect();
  mount_or_fail(22, nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr);
  if (plan.setup == Setup::config) restrict_process();
  char arg0[] = "true", sleep0[] = "sleep", forever[] = "1000000";
  char* argv[] = {plan.hold ? sleep0 : arg0, plan.hold ? forever : nullptr, nullptr};
  char* envp[] = {nullptr};
  execve(plan.hold ? "/bin/sleep" : "/bin/true", argv, envp);
  fail(23, plan.hold ? "execve /bin/sleep" : "execve /bin/true");
}

}  // namespace ringc::bench
