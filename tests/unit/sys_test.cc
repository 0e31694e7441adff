// Process-wide helpers of core/sys, each in a child of its own so the
// test process keeps its limits.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/sys.h"

namespace ringc::sys {
namespace {

int in_child(int (*body)()) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

rlim_t soft_nofile() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

// A daemon raises its soft fd limit to the hard one; what it starts gets
// the limit the daemon was given back.
TEST(Sys, FdLimitRaisedForTheDaemonAndGivenBackToItsChildren) {
  EXPECT_EQ(in_child([] {
              rlimit rl{};
              getrlimit(RLIMIT_NOFILE, &rl);
              if (rl.rlim_max < 64) return 0;  // nothing to raise here
              rlimit low{32, rl.rlim_max};
              if (setrlimit(RLIMIT_NOFILE, &low) != 0) return 1;
              if (raise_fd_limit() != rl.rlim_max || soft_nofile() != rl.rlim_max) return 2;
              restore_fd_limit();  // as a child of the daemon does
              return soft_nofile() == 32 ? 0 : 3;
            }),
            0);
  // Never raised: restore leaves the limit alone.
  EXPECT_EQ(in_child([] {
              rlim_t before = soft_nofile();
              restore_fd_limit();
              return soft_nofile() == before ? 0 : 1;
            }),
            0);
}

}  // namespace
}  // namespace ringc::sys
