// The priv tests again on a pure cgroup v2 layout: this hybrid machine seen
// from a private mount namespace whose /sys/fs/cgroup is its cgroup2
// hierarchy alone (which holds only hugetlb here: tests of other
// controllers skip, naming the missing controller). ringc (a child of the
// tests) inherits that view. On a host that is pure v2 already the plain
// run covers it, and this one skips.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (geteuid() == 0) {
    struct statfs fs;
    if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == 0x63677270 /* CGROUP2 */) {
      std::puts("pure cgroup v2 host: the plain run is this view; skipping");
      ::testing::GTEST_FLAG(filter) = "-*";
    } else if (unshare(CLONE_NEWNS) < 0 ||
               mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
      std::perror("private mount namespace");
      return 1;
    } else if (umount2("/sys/fs/cgroup", MNT_DETACH) < 0 ||
               mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, nullptr) < 0) {
      std::perror("cgroup2 at /sys/fs/cgroup");
      return 1;
    }
  }
  return RUN_ALL_TESTS();
}
