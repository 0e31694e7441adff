// The OCI runtime-spec config.json, as ringc uses it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cgroup/resources.h"
#include "core/base/error.h"
#include "core/spec/hook_spec.h"
#include "core/spec/json.h"
#include "core/spec/seccomp.h"

namespace ringc {

struct IdMapping {
  uint32_t container_id, host_id, size;
};

struct Mount {
  std::string destination, type, source;
  std::vector<std::string> options;
  // An id-mapped bind (runtime-spec 1.2, runc 1.2): the mount's own maps,
  // or, with the "idmap"/"ridmap" option alone, the container's user
  // namespace's. idmap_recursive: "ridmap", every submount too.
  std::vector<IdMapping> uid_mappings, gid_mappings;
  bool idmap = false, idmap_recursive = false;
};

enum class NsType : uint8_t { pid, network, mount, ipc, uts, user, cgroup, time };
inline constexpr int kNsTypeCount = 8;
std::string_view ns_name(NsType t);  // the spec's names: "pid", "network", ...
int ns_clone_flag(NsType t);         // CLONE_NEWPID, CLONE_NEWNET, ...

struct Namespace {
  NsType type;
  std::string path;  // empty: create a new one
};

struct Rlimit {
  int resource;  // RLIMIT_*
  uint64_t soft, hard;
};

struct Capabilities {
  // Bit masks of CAP_* numbers. Once `process.capabilities` is present, a
  // set it leaves out is empty (containerd writes `{}` for drop ALL); only
  // an absent object (Process::capabilities unset) leaves the sets alone.
  uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0, ambient = 0;
};

struct User {
  uid_t uid = 0;
  gid_t gid = 0;
  std::optional<mode_t> umask;
  std::vector<gid_t> additional_gids;
};

struct ConsoleSize {
  uint32_t height = 0, width = 0;
};

struct Scheduler {
  int policy = 0;  // SCHED_*
  int nice = 0;
  int priority = 0;
  uint64_t flags = 0;  // SCHED_FLAG_*
  uint64_t runtime = 0, deadline = 0, period = 0;
};

struct IoPriority {
  int klass = 0;  // IOPRIO_CLASS_*
  int priority = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::optional<Scheduler> scheduler;
  std::optional<IoPriority> io_priority;
  std::string apparmor_profile, selinux_label;
};

struct Device {
  std::string path;
  char type = 'c';
  int64_t major = 0, minor = 0;
  std::optional<mode_t> file_mode;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
};

struct TimeOffset {
  int64_t secs = 0;
  uint32_t nanosecs = 0;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::string cgroups_path;
  cgroup::Resources resources;
  std::string rootfs_propagation;
  std::vector<std::string> masked_paths, readonly_paths;
  std::map<std::string, std::string> sysctl;
  std::vector<Device> devices;
  std::optional<Seccomp> seccomp;
  std::optional<unsigned long> personality;  // domain | flags
  std::optional<TimeOffset> monotonic_offset, boottime_offset;
  std::string mount_label;

  const Namespace* find(NsType t) const;
};

struct Spec {
  std::string oci_version;
  std::string root_path;  // as written (may be relative to the bundle)
  bool root_readonly = false;
  Process process;
  std::string hostname, domainname;
  std::vector<Mount> mounts;
  std::vector<std::pair<std::string, std::string>> annotations;
  Hooks hooks;
  Linux linux_cfg;
};

// Parses config.json text. Errors name the file and the field's JSON
// pointer: "config.json: /process/args: must be a non-empty array of strings".
Result<Spec> parse_spec(std::string_view json, std::string_view file = "config.json");
namespace spec_detail {
class Reader;
}
// A LinuxResources object; base is its JSON pointer ("/linux/resources" in
// config.json, "" in a file of its own).
Result<cgroup::Resources> parse_resources(const spec_detail::Reader& r, json::Object resources,
                                          const std::string& base);

// The less common process and linux fields (scheduler, ioPriority, LSM
// labels; personality, timeOffsets, mountLabel): core/spec/spec_process.cc.
Result<void> parse_process_extras(const spec_detail::Reader& r, json::Object o, Process& p);
Result<void> parse_linux_extras(const spec_detail::Reader& r, json::Object o, Linux& l);
// hooks; errors name the field under "/hooks".
Result<Hooks> parse_hooks(const spec_detail::Reader& r, json::Object o);
// linux.seccomp; errors name the field under "/linux/seccomp".
Result<Seccomp> parse_seccomp(const spec_detail::Reader& r, json::Object o);

// A LinuxResources JSON object on its own (`update -r FILE`); path "-" is
// standard input. Errors name the file and the field.
Result<cgroup::Resources> load_resources(const std::string& path);
// The same from its text; errors name `name` (the file, the request) and
// the field.
Result<cgroup::Resources> resources_from_json(std::string_view text, std::string_view name);

// A Process object on its own (`exec --process FILE`); errors name the
// file and the field (pointers as under /process).
Result<Process> load_process(const std::string& path);

// Reads and parses <bundle>/config.json.
Result<Spec> load_spec(const std::string& bundle);

// The config `ringc spec` writes: runc's default; with rootless, runc's
// rootless one for the calling user (rootless_spec_json(euid, egid)).
std::string default_spec_json(bool rootless = false);
std::string root_spec_json();
// runc's `spec --rootless` for host ids uid and gid: a user namespace
// mapping them to 0 (and no network namespace), /sys bound from the host
// instead of mounted, no uid=/gid= mount options, no resources.
std::string rootless_spec_json(unsigned uid, unsigned gid);

// Capability name ("CAP_KILL") to number, or -1.
int capability_number(std::string_view name);
// Every capability name ringc knows, in number order.
std::span<const std::string_view> capability_names();
// RLIMIT_ name ("RLIMIT_NOFILE") to resource number, or -1.
int rlimit_number(std::string_view name);
std::string_view rlimit_name(int resource);

}  // namespace ringc
