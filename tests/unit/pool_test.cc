// Which specs may share a warm network namespace (core/pool/netns_pool.h):
// each condition of the rule refuses on its own, with why.
#include <gtest/gtest.h>

#include <string>

#include "core/pool/cgroup_pool.h"
#include "core/pool/netns_pool.h"
#include "core/spec/spec.h"

namespace ringc {
namespace {

// What `rule` says of the spec: why it may not use the pool, or "".
std::string why(const std::string& json,
                std::optional<std::string> (*rule)(const Spec&) = &unpoolable) {
  auto spec = parse_spec(json);
  EXPECT_TRUE(spec) << spec.error().what();
  if (!spec) return "(unparsed)";
  return rule(spec.value()).value_or("");
}

std::string edited(const std::string& from, const std::string& to) {
  std::string s = default_spec_json();
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(NetnsPool, TheDefaultSpecMayShare) {
  EXPECT_EQ(why(default_spec_json()), "");
}

TEST(NetnsPool, EachConditionRefusesOnItsOwn) {
  EXPECT_EQ(why(edited("\"CAP_KILL\",", "\"CAP_KILL\", \"CAP_NET_RAW\",")),
            "it may have CAP_NET_RAW");
  EXPECT_EQ(why(edited("\"CAP_KILL\",", "\"CAP_KILL\", \"CAP_NET_ADMIN\",")),
            "it may have CAP_NET_ADMIN");
  EXPECT_EQ(why(edited("\"CAP_KILL\",", "\"CAP_KILL\", \"CAP_SYS_ADMIN\",")),
            "it may have CAP_SYS_ADMIN");
  EXPECT_EQ(why(edited("\"/proc/sys\",", "")), "/proc/sys is not among /linux/readonlyPaths");
  EXPECT_EQ(why(edited("{\n\t\t\t\t\"type\": \"pid\"\n\t\t\t},", "")),
            "it has no pid namespace of its own (a process of it could outlive its init)");
  EXPECT_EQ(why(edited("{\n\t\t\t\t\"type\": \"network\"\n\t\t\t},", "")),
            "it does not ask for a network namespace of its own");
  EXPECT_EQ(
      why(edited("\"linux\": {", "\"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},")),
      "/linux/sysctl sets net.ipv4.ip_forward");
  EXPECT_EQ(why(edited("\"hostname\": \"ringc\",",
                       "\"hostname\": \"ringc\", \"hooks\": {\"prestart\": [{\"path\": "
                       "\"/bin/true\"}]},")),
            "it has hooks (one may configure the namespace)");
}

std::string cgroup_why(const std::string& json) {
  return why(json, &cgroup_unpoolable);
}

// Which specs may take a recycled cgroup path (core/pool/cgroup_pool.h).
TEST(CgroupPool, TheDefaultSpecMayRecycleItsCgroup) {
  EXPECT_EQ(cgroup_why(default_spec_json()), "");
}

TEST(CgroupPool, EachConditionRefusesOnItsOwn) {
  EXPECT_EQ(cgroup_why(edited("\"linux\": {", "\"linux\": {\"cgroupsPath\": \"/x/y\",")),
            "it names its cgroup (/linux/cgroupsPath)");
  EXPECT_EQ(cgroup_why(edited("\"CAP_KILL\",", "\"CAP_KILL\", \"CAP_SYS_ADMIN\",")),
            "it may have CAP_SYS_ADMIN");
  EXPECT_EQ(cgroup_why(edited("{\n\t\t\t\t\"type\": \"pid\"\n\t\t\t},", "")),
            "it has no pid namespace of its own (a process of it could outlive its init)");
  EXPECT_EQ(cgroup_why(edited("\"relatime\",\n\t\t\t\t\"ro\"", "\"relatime\"")),
            "/mounts: /sys/fs/cgroup is writable (it could write its cgroup's files)");
  EXPECT_EQ(cgroup_why(edited("\"mounts\": [",
                              "\"mounts\": [{\"destination\": \"/h\", \"type\": \"bind\", "
                              "\"source\": \"/sys/fs/cgroup\", \"options\": [\"rbind\"]},")),
            "/mounts: /h is writable (it could write its cgroup's files)");
  EXPECT_EQ(cgroup_why(edited("\"hostname\": \"ringc\",",
                              "\"hostname\": \"ringc\", \"hooks\": {\"poststart\": [{\"path\": "
                              "\"/bin/true\"}]},")),
            "it has hooks (one may write the cgroup)");
}

// Which hierarchies keep their directory: v1 ones whose every controller
// has counters a reset brings back (or none); never memory, never v2.
TEST(CgroupPool, KeptHierarchies) {
  auto v1 = [](const char* ctrls) { return cgroup::Hierarchy{"/m", ctrls, false}; };
  for (const char* c : {"cpu", "cpuacct", "cpu,cpuacct", "blkio", "pids", "freezer", "devices",
                        "cpuset", "net_cls,net_prio", "perf_event", "name=systemd"})
    EXPECT_TRUE(CgroupPool::kept(v1(c))) << c;
  for (const char* c : {"memory", "hugetlb", "rdma", "misc", "cpu,memory", ""})
    EXPECT_FALSE(CgroupPool::kept(v1(c))) << c;
  EXPECT_FALSE(CgroupPool::kept(cgroup::Hierarchy{"/u", "", true}));
}

}  // namespace
}  // namespace ringc
