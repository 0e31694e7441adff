// The priv tests again on a legacy cgroup v1 host: this machine seen from a
// private mount namespace in which /sys/fs/cgroup/unified is unmounted.
// ringc (a child of the tests) inherits that view.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (geteuid() == 0) {
    struct statfs fs;
    if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == 0x63677270 /* CGROUP2 */) {
      std::puts("pure cgroup v2 host: there is no legacy view to test; skipping");
      ::testing::GTEST_FLAG(filter) = "-*";
    } else if (unshare(CLONE_NEWNS) < 0 ||
               mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
      std::perror("private mount namespace");
      return 1;
    } else if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0 && errno != EINVAL &&
               errno != ENOENT) {
      std::perror("umount /sys/fs/cgroup/unified");
      return 1;
    }
  }
  return RUN_ALL_TESTS();
}
