#include <gtest/gtest.h>
#include <sys/mount.h>

#include "core/rootfs.h"

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
