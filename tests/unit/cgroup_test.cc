#include <gtest/gtest.h>

#include "cgroup/layout.h"
#include "cgroup/manager.h"

using namespace ringc::cgroup;

namespace {
constexpr const char* kHybrid =
    "30 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
    "cgroup2 rw,nsdelegate\n"
    "33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup "
    "cgroup rw,cpu,cpuacct\n"
    "34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup "
    "rw,memory\n"
    "35 30 0:31 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup "
    "rw,xattr,name=systemd\n";
constexpr const char* kUnified =
    "30 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";
constexpr const char* kLegacy =
    "33 30 0:29 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids\n"
    "34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
    "35 30 0:30 / /other/memory rw,nosuid - cgroup cgroup rw,memory\n";
}  // namespace

TEST(Layout, Hybrid) {
  Host h = parse_mountinfo(kHybrid);
  EXPECT_EQ(h.layout, Layout::hybrid);
  ASSERT_EQ(h.hierarchies.size(), 4u);
  ASSERT_TRUE(h.v2());
  EXPECT_EQ(h.v2()->mount, "/sys/fs/cgroup/unified");
  ASSERT_TRUE(h.v1("cpuacct"));
  EXPECT_EQ(h.v1("cpuacct")->mount, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(h.v1("name=systemd")->mount, "/sys/fs/cgroup/systemd");
  EXPECT_FALSE(h.v1("pids"));
}

TEST(Layout, Unified) {
  Host h = parse_mountinfo(kUnified);
  EXPECT_EQ(h.layout, Layout::unified);
  ASSERT_EQ(h.hierarchies.size(), 1u);
  EXPECT_EQ(h.v2()->mount, "/sys/fs/cgroup");
}

TEST(Layout, LegacyIgnoresDuplicateMounts) {
  Host h = parse_mountinfo(kLegacy);
  EXPECT_EQ(h.layout, Layout::legacy);
  EXPECT_FALSE(h.v2());
  EXPECT_EQ(h.hierarchies.size(), 2u);
}

TEST(Layout, DetectsThisHost) {
  auto h = detect();
  ASSERT_TRUE(h);
  EXPECT_FALSE(name(h.value()->layout).empty());
}

TEST(Paths, Resolve) {
  EXPECT_EQ(resolve_path("", "web"), "/ringc/web");
  EXPECT_EQ(resolve_path("/a/b", "web"), "/a/b");
  EXPECT_EQ(resolve_path("mygroup/web", "web"), "/ringc/mygroup/web");
  EXPECT_EQ(resolve_path("system.slice:ringc:web", "web"), "/system.slice/ringc-web.scope");
  EXPECT_EQ(resolve_path("machine-app.slice:docker:abc", "abc"),
            "/machine.slice/machine-app.slice/docker-abc.scope");
  EXPECT_EQ(resolve_path(":ringc:web", "web"), "/system.slice/ringc-web.scope");
}
