// The engine's fds held for restarts: one per open file description.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "core/engine/held_fds.h"

namespace ringc {
namespace {

SharedFd shared(int fd) {
  return std::make_shared<const sys::UniqueFd>(fd);
}

TEST(HeldFds, OnePerOpenFileDescription) {
  HeldFds held;
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  sys::UniqueFd read_end(p[0]);
  // Dups of one pipe end (what containers started from one shell get):
  // the first is held, the rest are closed for it.
  SharedFd first = held.hold(shared(p[1]));
  SharedFd again = held.hold(shared(fcntl(p[1], F_DUPFD_CLOEXEC, 3)));
  EXPECT_EQ(first, again);
  EXPECT_EQ(held.size(), 1u);

  // Two opens of one file are two descriptions (their offsets differ).
  char path[] = "/tmp/ringc-held-XXXXXX";
  int f = mkstemp(path);
  ASSERT_GE(f, 0);
  SharedFd a = held.hold(shared(f));
  SharedFd b = held.hold(shared(open(path, O_RDWR | O_CLOEXEC)));
  EXPECT_NE(a, b);
  unlink(path);

  // /dev/null: one per access mode, whoever opened it.
  SharedFd w1 = held.hold(shared(open("/dev/null", O_WRONLY | O_CLOEXEC)));
  SharedFd w2 = held.hold(shared(open("/dev/null", O_WRONLY | O_CLOEXEC)));
  SharedFd r1 = held.hold(shared(open("/dev/null", O_RDONLY | O_CLOEXEC)));
  EXPECT_EQ(w1, w2);
  EXPECT_NE(w1, r1);
  EXPECT_EQ(held.size(), 5u);  // the pipe, two file opens, /dev/null twice

  // What no container holds any more is forgotten.
  first.reset();
  again.reset();
  w1.reset();
  w2.reset();
  held.sweep();
  EXPECT_EQ(held.size(), 3u);
}

}  // namespace
}  // namespace ringc
