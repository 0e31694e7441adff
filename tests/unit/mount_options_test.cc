#include <gtest/gtest.h>
#include <sys/mount.h>

#include "core/init/mountinfo.h"
#include "core/init/rootfs.h"

using namespace ringc;

TEST(MountOptions, FlagsAndData) {
  auto o = parse_mount_options({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
  EXPECT_EQ(o.data, "newinstance,ptmxmode=0666,mode=0620");
  EXPECT_FALSE(o.bind);
}

TEST(MountOptions, BindAndPropagation) {
  auto o = parse_mount_options({"rbind", "ro", "rprivate"});
  EXPECT_TRUE(o.bind);
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
  EXPECT_EQ(o.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_TRUE(o.data.empty());
}

TEST(MountOptions, LaterOptionClearsEarlier) {
  auto o = parse_mount_options({"ro", "rw", "nodev", "dev"});
  EXPECT_EQ(o.flags, 0ul);
  EXPECT_EQ(o.clear, static_cast<unsigned long>(MS_RDONLY | MS_NODEV));
}

// tmpcopyup is runc's, not the filesystem's: it must not reach mount(2).
TEST(MountOptions, TmpCopyUpIsNotData) {
  auto o = parse_mount_options({"rw", "nosuid", "tmpcopyup", "size=10k"});
  EXPECT_TRUE(o.copy_up);
  EXPECT_EQ(o.data, "size=10k");
}

TEST(Mountinfo, ParsesPointTypeAndPeerGroup) {
  MountEntry e;
  ASSERT_TRUE(parse_mountinfo_line(
      "45 27 254:0 /tmp/vol /tmp/a\\040b rw,relatime shared:1 master:3 - ext4 /dev/vda rw", e));
  EXPECT_EQ(e.id, 45);
  EXPECT_EQ(e.parent, 27);
  EXPECT_EQ(e.point, "/tmp/a b");
  EXPECT_EQ(e.fstype, "ext4");
  EXPECT_TRUE(e.shared);
  ASSERT_TRUE(parse_mountinfo_line("22 27 0:21 / /proc rw,relatime - proc proc rw", e));
  EXPECT_EQ(e.point, "/proc");
  EXPECT_EQ(e.fstype, "proc");
  EXPECT_FALSE(e.shared);
  EXPECT_FALSE(parse_mountinfo_line("22 27 0:21 / /proc rw,relatime", e));
}

TEST(Mountinfo, PathWithinComparesWholeComponents) {
  EXPECT_TRUE(path_within("/a/b", "/a"));
  EXPECT_TRUE(path_within("/a", "/a"));
  EXPECT_TRUE(path_within("/a", "/"));
  EXPECT_FALSE(path_within("/ab", "/a"));
  EXPECT_FALSE(path_within("/a", "/a/b"));
}

// runc's recursive options go to mount_setattr, not to mount(2)'s flags.
TEST(MountOptions, RecursiveFamily) {
  auto o = parse_mount_options({"rbind", "rro", "rnosuid", "rnoexec", "rexec", "rrelatime"});
  EXPECT_EQ(o.rec_set, uint64_t(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_RELATIME));
  EXPECT_EQ(o.rec_clear, uint64_t(MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME));
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_TRUE(o.data.empty());
}
