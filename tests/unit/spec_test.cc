#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "core/hooks/hooks.h"
#include "core/spec/spec.h"

using namespace ringc;

namespace {
std::string data(const std::string& name) {
  std::ifstream in(std::string(RINGC_SOURCE_DIR) + "/tests/data/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Replaces the first occurrence of `from` in the default spec.
std::string edit(std::string from, std::string to) {
  std::string s = default_spec_json();
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string error_of(const std::string& json) {
  auto r = parse_spec(json);
  if (r) return "(parsed)";
  EXPECT_TRUE(r.error().is(Errc::bad_spec)) << r.error().what();
  return r.error().what();
}
}  // namespace

TEST(Spec, ParsesRuncSpec) {
  auto r = parse_spec(data("runc-spec.json"));
  ASSERT_TRUE(r) << r.error().what();
  const Spec& s = r.value();
  EXPECT_EQ(s.oci_version, "1.0.2-dev");
  EXPECT_EQ(s.root_path, "rootfs");
  EXPECT_TRUE(s.root_readonly);
  EXPECT_EQ(s.process.args, std::vector<std::string>{"sh"});
  EXPECT_TRUE(s.process.terminal);
  EXPECT_EQ(s.hostname, "runc");
  EXPECT_EQ(s.mounts.size(), 7u);
  EXPECT_EQ(s.mounts[2].destination, "/dev/pts");
  EXPECT_EQ(s.mounts[2].options.size(), 6u);
  EXPECT_EQ(s.linux_cfg.namespaces.size(), 5u);
  EXPECT_TRUE(s.linux_cfg.find(NsType::network));
  EXPECT_FALSE(s.linux_cfg.find(NsType::user));
  ASSERT_TRUE(s.process.capabilities);
  EXPECT_EQ(s.process.capabilities->bounding,
            (1ull << capability_number("CAP_AUDIT_WRITE")) |
                (1ull << capability_number("CAP_KILL")) |
                (1ull << capability_number("CAP_NET_BIND_SERVICE")));
  ASSERT_EQ(s.process.rlimits.size(), 1u);
  EXPECT_EQ(s.process.rlimits[0].soft, 1024u);
  EXPECT_TRUE(s.process.no_new_privileges);
  EXPECT_EQ(s.linux_cfg.masked_paths.size(), 10u);
  EXPECT_EQ(s.linux_cfg.readonly_paths.size(), 5u);
  ASSERT_EQ(s.linux_cfg.resources.devices.size(), 1u);
  EXPECT_FALSE(s.linux_cfg.resources.devices[0].allow);
  EXPECT_EQ(s.linux_cfg.resources.devices[0].type, 'a');
}

TEST(Spec, ParsesRuncRootlessSpec) {
  auto r = parse_spec(data("runc-spec-rootless.json"));
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_TRUE(r.value().linux_cfg.find(NsType::user));
  ASSERT_EQ(r.value().linux_cfg.uid_mappings.size(), 1u);
  EXPECT_EQ(r.value().linux_cfg.uid_mappings[0].size, 1u);
}

TEST(Spec, ParsesOwnDefault) {
  auto r = parse_spec(default_spec_json());
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_EQ(r.value().hostname, "ringc");
  EXPECT_TRUE(r.value().linux_cfg.find(NsType::cgroup));
}

// `spec --rootless` was accepted and ignored (issue 23): it now writes
// runc's rootless config, each of runc's changes made.
TEST(Spec, RootlessIsRuncsRootlessConfig) {
  std::string text = rootless_spec_json(1000, 1001);
  auto r = parse_spec(text);
  ASSERT_TRUE(r) << r.error().what();
  const auto& l = r.value().linux_cfg;
  EXPECT_TRUE(l.find(NsType::user));
  EXPECT_FALSE(l.find(NsType::network));
  EXPECT_TRUE(l.find(NsType::cgroup));
  ASSERT_EQ(l.uid_mappings.size(), 1u);
  EXPECT_EQ(l.uid_mappings[0].container_id, 0u);
  EXPECT_EQ(l.uid_mappings[0].host_id, 1000u);
  EXPECT_EQ(l.uid_mappings[0].size, 1u);
  ASSERT_EQ(l.gid_mappings.size(), 1u);
  EXPECT_EQ(l.gid_mappings[0].host_id, 1001u);
  bool sys = false;
  for (const Mount& m : r.value().mounts) {
    for (const std::string& o : m.options) EXPECT_NE(o.rfind("gid=", 0), 0u) << m.destination;
    if (m.destination != "/sys") continue;
    sys = true;
    EXPECT_EQ(m.type, "none");
    EXPECT_EQ(m.source, "/sys");
    EXPECT_EQ(m.options.front(), "rbind");
  }
  EXPECT_TRUE(sys);
  EXPECT_EQ(text.find("\"resources\""), std::string::npos);
  EXPECT_EQ(default_spec_json(false), root_spec_json());
}

TEST(Spec, NotJson) {
  EXPECT_NE(error_of("{").find("config.json: not valid JSON"), std::string::npos);
  EXPECT_NE(error_of("[]").find("config.json: /: must be an object"), std::string::npos);
}

TEST(Spec, MissingRequiredFields) {
  EXPECT_EQ(error_of(R"({"root":{"path":"r"},"process":{"args":["a"],"cwd":"/"}})"),
            "config.json: /ociVersion: is required");
  EXPECT_EQ(error_of(R"({"ociVersion":"1.0.2","process":{"args":["a"],"cwd":"/"}})"),
            "config.json: /root: is required");
  EXPECT_EQ(error_of(R"({"ociVersion":"1.0.2","root":{"path":"r"}})"),
            "config.json: /process: is required");
  EXPECT_EQ(error_of(R"({"ociVersion":"1.0.2","root":{},"process":{"args":["a"],"cwd":"/"}})"),
            "config.json: /root/path: is required");
}

// A cgroupsPath with a ".." part could climb out of its place: refused
// (".." inside a name is not a part).
TEST(Spec, CgroupsPathMustNotClimb) {
  const std::string base = R"({"ociVersion":"1.0.2","root":{"path":"r"},)"
                           R"("process":{"args":["a"],"cwd":"/"},"linux":{"cgroupsPath":")";
  for (std::string p : {"../x", "/a/../b", "/..", "system.slice:..:x"})
    EXPECT_EQ(error_of(base + p + "\"}}"),
              "config.json: /linux/cgroupsPath: \"" + p + "\" must not contain \"..\"")
        << p;
  for (std::string p : {"/a..b/c", "x..", "/ok"})
    EXPECT_EQ(error_of(base + p + "\"}}"), "(parsed)") << p;
}

TEST(Spec, ArgsMustBeNonEmptyStrings) {
  const std::string want = "config.json: /process/args: must be a non-empty array of strings";
  EXPECT_EQ(error_of(edit("\"args\": [\n\t\t\t\"sh\"\n\t\t]", "\"args\": []")), want);
  EXPECT_EQ(error_of(edit("\"args\": [\n\t\t\t\"sh\"\n\t\t]", "\"args\": \"sh\"")), want);
  EXPECT_EQ(error_of(edit("\"args\": [\n\t\t\t\"sh\"\n\t\t]", "\"args\": [1]")), want);
  EXPECT_EQ(error_of(edit("\"args\": [\n\t\t\t\"sh\"\n\t\t],", "")), want);
}

TEST(Spec, WrongTypesNameTheField) {
  EXPECT_EQ(error_of(edit("\"terminal\": true", "\"terminal\": \"yes\"")),
            "config.json: /process/terminal: must be a boolean");
  EXPECT_EQ(error_of(edit("\"uid\": 0", "\"uid\": -1")),
            "config.json: /process/user/uid: must be between 0 and 4294967294");
  EXPECT_EQ(error_of(edit("\"cwd\": \"/\"", "\"cwd\": \"relative\"")),
            "config.json: /process/cwd: must be an absolute path");
  EXPECT_EQ(error_of(edit("\"hostname\": \"ringc\"", "\"hostname\": 5")),
            "config.json: /hostname: must be a string");
  EXPECT_EQ(error_of(edit("\"readonly\": true", "\"readonly\": 1")),
            "config.json: /root/readonly: must be a boolean");
  EXPECT_EQ(error_of(edit("\"destination\": \"/proc\"", "\"destination\": \"proc\"")),
            "config.json: /mounts/0/destination: must be an absolute path");
  EXPECT_EQ(error_of(edit("\"options\": [\n\t\t\t\t\"nosuid\",\n\t\t\t\t\"strictatime\"",
                          "\"options\": [\n\t\t\t\t7,\n\t\t\t\t\"strictatime\"")),
            "config.json: /mounts/1/options: must be an array of strings");
  EXPECT_EQ(error_of(edit("\"PATH=", "\"PATH")),
            "config.json: /process/env: "
            "\"PATH/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\" is not of the "
            "form KEY=value");
}

TEST(Spec, UnknownNamesAreErrors) {
  EXPECT_EQ(error_of(edit("\"type\": \"pid\"", "\"type\": \"pidz\"")),
            "config.json: /linux/namespaces/0/type: unknown namespace type \"pidz\"");
  EXPECT_EQ(error_of(edit("\"type\": \"network\"", "\"type\": \"pid\"")),
            "config.json: /linux/namespaces/1/type: duplicate \"pid\"");
  EXPECT_EQ(error_of(edit("\"CAP_KILL\"", "\"CAP_BOGUS\"")),
            "config.json: /process/capabilities/bounding: unknown capability \"CAP_BOGUS\"");
  EXPECT_EQ(error_of(edit("\"RLIMIT_NOFILE\"", "\"RLIMIT_BOGUS\"")),
            "config.json: /process/rlimits/0/type: unknown rlimit \"RLIMIT_BOGUS\"");
}

TEST(Spec, RlimitSoftAboveHard) {
  EXPECT_EQ(error_of(edit("\"soft\": 1024", "\"soft\": 2048")),
            "config.json: /process/rlimits/0: soft limit exceeds hard limit");
}

TEST(Spec, HostnameNeedsUtsNamespace) {
  EXPECT_EQ(error_of(edit("{\n\t\t\t\t\"type\": \"uts\"\n\t\t\t},", "")),
            "config.json: /hostname: needs a new uts namespace (linux.namespaces has none)");
}

TEST(Spec, UnknownPropertiesAreIgnored) {
  auto r = parse_spec(
      edit("\"hostname\": \"ringc\"", "\"hostname\": \"ringc\", \"x-future\": {\"a\": [1]}"));
  EXPECT_TRUE(r) << r.error().what();
}

TEST(Spec, FileNameInErrors) {
  auto r = parse_spec("{}", "/b/config.json");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "/b/config.json: /ociVersion: is required");
}

TEST(Spec, NameTables) {
  EXPECT_EQ(capability_number("CAP_CHOWN"), 0);
  EXPECT_EQ(capability_number("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(capability_number("CAP_NOPE"), -1);
  EXPECT_EQ(rlimit_number("RLIMIT_NOFILE"), 7);
  EXPECT_EQ(rlimit_number("NOFILE"), -1);
  EXPECT_EQ(ns_name(NsType::network), "network");
}

TEST(Spec, ParsesDockersSeccompProfile) {
  auto r = parse_spec(edit(
      "\"linux\": {", "\"linux\": {\"seccomp\": " + data("docker-default-seccomp.json") + ","));
  ASSERT_TRUE(r) << r.error().what();
  const auto& s = r.value().linux_cfg.seccomp;
  ASSERT_TRUE(s);
  EXPECT_EQ(s->default_action, SeccompAction::errno_ret);
  EXPECT_EQ(s->default_errno, 1u);
  EXPECT_EQ(s->architectures, (std::vector<std::string>{"x86_64", "x86", "x32"}));
  ASSERT_GE(s->syscalls.size(), 3u);
  const SeccompRule& socket = s->syscalls[2];
  EXPECT_EQ(socket.names, std::vector<std::string>{"socket"});
  ASSERT_EQ(socket.args.size(), 1u);
  EXPECT_EQ(socket.args[0].op, SeccompOp::ne);
  EXPECT_EQ(socket.args[0].value, 40u);
  EXPECT_EQ(s->syscalls.back().errno_ret, 38u);
  // The filter builds (libseccomp accepts every rule), in this process.
  auto f = SeccompFilter::build(*s);
  ASSERT_TRUE(f) << f.error().what();
}

TEST(Spec, SeccompFlagsAndBadFlag) {
  auto r = parse_spec(edit("\"linux\": {",
                           "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_LOG\", "
                           "\"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"]},"));
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_TRUE(r.value().linux_cfg.seccomp->flag_log);
  EXPECT_EQ(error_of(edit("\"linux\": {",
                          "\"linux\": {\"seccomp\": {\"defaultAction\": "
                          "\"SCMP_ACT_LOG\", \"flags\": [\"NOPE\"]},")),
            "config.json: /linux/seccomp/flags: unsupported flag \"NOPE\"");
}

TEST(Spec, ParsesHooksAndNamesBadOnes) {
  auto r = parse_spec(edit("\"linux\": {",
                           "\"hooks\": {\"createRuntime\": [{\"path\": \"/bin/a\", \"args\": "
                           "[\"a\", \"x\"], \"env\": [\"K=v\"], \"timeout\": 5}], \"poststop\": "
                           "[{\"path\": \"/bin/b\"}]}, \"linux\": {"));
  ASSERT_TRUE(r) << r.error().what();
  const Hooks& h = r.value().hooks;
  ASSERT_EQ(h[HookKind::create_runtime].size(), 1u);
  EXPECT_EQ(h[HookKind::create_runtime][0].args, (std::vector<std::string>{"a", "x"}));
  EXPECT_EQ(h[HookKind::create_runtime][0].timeout_s, 5);
  EXPECT_TRUE(h.after_create());
  EXPECT_EQ(error_of(edit("\"linux\": {",
                          "\"hooks\": {\"prestart\": [{\"path\": \"rel\"}]}, "
                          "\"linux\": {")),
            "config.json: /hooks/prestart/0/path: must be absolute");
  EXPECT_EQ(error_of(edit("\"linux\": {",
                          "\"hooks\": {\"poststart\": [{\"path\": \"/x\", "
                          "\"timeout\": 0}]}, \"linux\": {")),
            "config.json: /hooks/poststart/0/timeout: must be between 1 and 86400");
}

TEST(Spec, HookStateJson) {
  EXPECT_EQ(hook_state("1.2.0", "c\"1", "creating", 42, "/b", {{"k", "v"}}),
            R"({"ociVersion":"1.2.0","id":"c\"1","status":"creating","pid":42,"bundle":"/b",)"
            R"("annotations":{"k":"v"}})");
}

// A mount's uidMappings/gidMappings and the idmap/ridmap options.
TEST(Spec, IdMappedMounts) {
  auto r = parse_spec(edit(
      "\"mounts\": [",
      "\"mounts\": [{\"destination\": \"/a\", \"type\": \"bind\", \"source\": \"/s\", "
      "\"options\": [\"rbind\", \"ridmap\"], \"uidMappings\": [{\"containerID\": 0, "
      "\"hostID\": 5, \"size\": 2}], \"gidMappings\": [{\"containerID\": 1, \"hostID\": 6, "
      "\"size\": 3}]}, {\"destination\": \"/b\", \"source\": \"/s\", \"options\": [\"bind\"]},"));
  ASSERT_TRUE(r) << r.error().what();
  const Mount& a = r.value().mounts[0];
  EXPECT_TRUE(a.idmap);
  EXPECT_TRUE(a.idmap_recursive);
  ASSERT_EQ(a.uid_mappings.size(), 1u);
  EXPECT_EQ(a.uid_mappings[0].host_id, 5u);
  EXPECT_EQ(a.gid_mappings[0].size, 3u);
  EXPECT_FALSE(r.value().mounts[1].idmap);
  EXPECT_EQ(error_of(edit("\"mounts\": [",
                          "\"mounts\": [{\"destination\": \"/a\", \"source\": \"/s\", "
                          "\"options\": [\"bind\"], \"gidMappings\": [{\"containerID\": 0, "
                          "\"hostID\": 5, \"size\": 2}]},")),
            "config.json: /mounts/0/uidMappings: an id-mapped mount needs both uidMappings and "
            "gidMappings");
}

// runc's ContainerProcessState, as the seccomp agent reads it.
TEST(Spec, ContainerProcessStateJson) {
  EXPECT_EQ(container_process_state("1.2.0", 7, "m\"d", R"({"id":"c"})"),
            R"({"ociVersion":"1.2.0","fds":["seccompFd"],"pid":7,"metadata":"m\"d",)"
            R"("state":{"id":"c"}})");
}

// The agent's socket and metadata are kept; a notifying profile builds a
// filter that says so (its load hands a listener over).
TEST(Spec, SeccompNotifyProfile) {
  auto r = parse_spec(edit("\"linux\": {",
                           "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", "
                           "\"listenerPath\": \"@agent\", \"listenerMetadata\": \"md\", "
                           "\"syscalls\": [{\"names\": [\"mkdir\", \"no_such\"], "
                           "\"action\": \"SCMP_ACT_NOTIFY\"}]},"));
  ASSERT_TRUE(r) << r.error().what();
  const Seccomp& s = *r.value().linux_cfg.seccomp;
  EXPECT_EQ(s.listener_path, "@agent");
  EXPECT_EQ(s.listener_metadata, "md");
  EXPECT_TRUE(s.notifies());
  auto f = SeccompFilter::build(s);
  ASSERT_TRUE(f) << f.error().what();
  EXPECT_TRUE(f.value().notifies());
  EXPECT_EQ(f.value().skipped, 1);
  // Only unknown names notify: no listener to hand over.
  Seccomp unknown = s;
  unknown.syscalls[0].names = {"no_such"};
  auto g = SeccompFilter::build(unknown);
  ASSERT_TRUE(g) << g.error().what();
  EXPECT_FALSE(g.value().notifies());
}

TEST(Spec, SchedulerPersonalityTimeOffsetsAreChecked) {
  EXPECT_EQ(error_of(edit("\"noNewPrivileges\": true",
                          "\"noNewPrivileges\": true, \"scheduler\": {\"policy\": \"SCHED_OTHER\", "
                          "\"priority\": 5}")),
            "config.json: /process/scheduler/priority: is only for SCHED_FIFO and SCHED_RR");
  EXPECT_EQ(error_of(edit("\"noNewPrivileges\": true",
                          "\"noNewPrivileges\": true, \"ioPriority\": {\"class\": \"IOPRIO_X\"}")),
            "config.json: /process/ioPriority/class: unknown class \"IOPRIO_X\"");
  EXPECT_EQ(error_of(edit("\"linux\": {", "\"linux\": {\"personality\": {\"domain\": \"BSD\"},")),
            "config.json: /linux/personality/domain: unknown domain \"BSD\"");
  EXPECT_EQ(error_of(edit("\"linux\": {",
                          "\"linux\": {\"timeOffsets\": {\"monotonic\": {\"secs\": 5}},")),
            "config.json: /linux/timeOffsets: needs a time namespace (linux.namespaces has none)");
  // The namespaces are moved out of the way: the array becomes "unused".
  EXPECT_EQ(error_of(edit("\"namespaces\": [",
                          "\"sysctl\": {\"net.core.somaxconn\": \"1\"}, "
                          "\"namespaces\": [], \"unused\": [")),
            "config.json: /linux/sysctl/net.core.somaxconn: needs a network namespace of the "
            "container's own");
}

TEST(Spec, HugepageAndCpuExtrasAreChecked) {
  auto r = parse_spec(edit("\"resources\": {",
                           "\"resources\": {\"hugepageLimits\": [{\"pageSize\": \"1GB\", "
                           "\"limit\": 0}], \"cpu\": {\"idle\": 1, \"burst\": 5, "
                           "\"realtimeRuntime\": 10, \"realtimePeriod\": 20},"));
  ASSERT_TRUE(r) << r.error().what();
  const auto& res = r.value().linux_cfg.resources;
  ASSERT_EQ(res.hugepage_limits.size(), 1u);
  EXPECT_EQ(res.hugepage_limits[0].first, "1GB");
  EXPECT_EQ(res.cpu_idle, 1);
  EXPECT_EQ(res.cpu_burst, 5u);
  EXPECT_EQ(res.cpu_rt_runtime, 10);
  EXPECT_EQ(res.cpu_rt_period, 20u);
  EXPECT_EQ(error_of(edit("\"resources\": {",
                          "\"resources\": {\"hugepageLimits\": [{\"pageSize\": "
                          "\"2M\", \"limit\": 1}],")),
            "config.json: /linux/resources/hugepageLimits/0/pageSize: \"2M\" is not a page size "
            "like 2MB");
  EXPECT_EQ(error_of(edit("\"resources\": {", "\"resources\": {\"cpu\": {\"idle\": 2},")),
            "config.json: /linux/resources/cpu/idle: must be between 0 and 1");
}

// containerd writes "capabilities": {} for drop ALL: every set empty.
TEST(Spec, PresentCapabilitiesObjectMakesMissingSetsEmpty) {
  auto s = parse_spec(edit("\"capabilities\": {", "\"capabilities\": {}, \"unused\": {"));
  ASSERT_TRUE(s) << s.error().what();
  ASSERT_TRUE(s.value().process.capabilities);
  const Capabilities& c = *s.value().process.capabilities;
  EXPECT_EQ(c.bounding | c.effective | c.permitted | c.inheritable | c.ambient, 0u);
}

// podman writes device modes with their file type (8630 = S_IFCHR|0666).
TEST(Spec, DeviceFileModeMayCarryItsType) {
  auto dev = [](const char* type, unsigned mode) {
    return edit("\"linux\": {",
                fmt::format("\"linux\": {{\"devices\": [{{\"path\": \"/dev/x\", \"type\": \"{}\", "
                            "\"major\": 1, \"minor\": 3, \"fileMode\": {}}}],",
                            type, mode));
  };
  auto s = parse_spec(dev("c", 8630));
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s.value().linux_cfg.devices[0].file_mode, mode_t(0666));
  s = parse_spec(dev("b", 060640));
  ASSERT_TRUE(s) << s.error().what();
  EXPECT_EQ(s.value().linux_cfg.devices[0].file_mode, mode_t(0640));
  EXPECT_EQ(error_of(dev("c", 060666)),
            "config.json: /linux/devices/0/fileMode: has file type bits 60000 that disagree with "
            "type \"c\"");
  EXPECT_EQ(error_of(dev("c", 0200000)),
            "config.json: /linux/devices/0/fileMode: must be between 0 and 65535");
}
