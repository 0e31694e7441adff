// core/base/compat.h: what stands in for clone3, close_range and openat2
// where a host refuses them (issue 22).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "core/base/compat.h"

using namespace ringc;

namespace {
std::string real(int fd) {
  char buf[4096];
  ssize_t n = ::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, size_t(n));
}
}  // namespace

// Links that point out of the root, absolutely or through "..", resolve
// inside it, as openat2's RESOLVE_IN_ROOT does.
TEST(Compat, OpenInRootKeepsEveryLinkInside) {
  char tmpl[] = "/tmp/ringc-compat-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  std::string root = tmpl;
  ASSERT_EQ(
      std::system(("mkdir -p " + root + "/etc " + root + "/a/b && touch " + root +
                   "/etc/passwd && ln -s /etc " + root + "/abs && ln -s ../../../../etc " + root +
                   "/a/b/up && ln -s up " + root + "/a/b/chain && ln -s loop " + root + "/loop")
                      .c_str()),
      0);
  int r = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(r, 0);
  for (const char* p : {"/abs/passwd", "abs/passwd", "/a/b/up/passwd", "/a/b/chain/passwd",
                        "/../../etc/passwd", "/a/../a/b/../../etc/passwd"}) {
    int fd = compat::open_in_root(r, p, O_PATH | O_CLOEXEC);
    ASSERT_GE(fd, 0) << p << ": " << -fd;
    EXPECT_EQ(real(fd), root + "/etc/passwd") << p;
    ::close(fd);
  }
  int fd = compat::open_in_root(r, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  EXPECT_EQ(real(fd), root);
  ::close(fd);
  // O_NOFOLLOW: the last link itself.
  fd = compat::open_in_root(r, "/abs", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  struct stat st {};
  ASSERT_EQ(::fstat(fd, &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  ::close(fd);
  EXPECT_EQ(compat::open_in_root(r, "/loop", O_PATH | O_CLOEXEC), -ELOOP);
  EXPECT_EQ(compat::open_in_root(r, "/etc/passwd/x", O_PATH | O_CLOEXEC), -ENOTDIR);
  EXPECT_EQ(compat::open_in_root(r, "/etc/passwd", O_PATH | O_DIRECTORY | O_CLOEXEC), -ENOTDIR);
  EXPECT_EQ(compat::open_in_root(r, "/nothing", O_PATH | O_CLOEXEC), -ENOENT);
  EXPECT_EQ(compat::open_in_root(r, "/etc", O_RDONLY | O_CLOEXEC), -EINVAL);
  ::close(r);
  std::system(("rm -rf " + root).c_str());
}

TEST(Compat, CloseRangeClosesOrMarksWhatIsOpen) {
  int a = ::open("/dev/null", O_RDONLY), b = ::open("/dev/null", O_RDONLY);
  ASSERT_LT(a, b);
  EXPECT_EQ(compat::close_range(unsigned(a), unsigned(a), true), 0);
  EXPECT_EQ(::fcntl(a, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(::fcntl(b, F_GETFD), 0);
  EXPECT_EQ(compat::close_range(unsigned(a), unsigned(b), false), 0);
  EXPECT_EQ(::fcntl(a, F_GETFD), -1);
  EXPECT_EQ(::fcntl(b, F_GETFD), -1);
}
