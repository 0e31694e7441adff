#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "core/base/sys.h"
#include "core/verbs/waits.h"
#include "ring/ops.h"
#include "ring/ring.h"
#include "ring/token.h"

using namespace ringc;
using namespace std::chrono_literals;

TEST(Token, PackUnpack) {
  ring::Token t{123456, 7, 42};
  EXPECT_EQ(ring::Token::unpack(t.pack()), t);
  ring::Token max{0xffffffff, 0xffff, 0xfffe};
  EXPECT_EQ(ring::Token::unpack(max.pack()), max);
  EXPECT_NE(ring::Token{}.pack(), ring::kIgnored);
}

TEST(Ring, TimerCompletes) {
  ring::Ring r;
  ASSERT_TRUE(r.init(8));
  auto t0 = std::chrono::steady_clock::now();
  auto ts = ring::to_timespec(20ms);
  ASSERT_TRUE(ring::prep_timeout(r, 7, &ts));
  ASSERT_TRUE(r.await(7));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 19ms);
}

TEST(Ring, LinkedTimeoutCancelsRead) {
  ring::Ring r;
  ASSERT_TRUE(r.init(8));
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  char buf[64];
  auto read_with_deadline = [&](std::chrono::milliseconds d) {
    auto ts = ring::to_timespec(d);
    EXPECT_TRUE(r.reserve(2));
    EXPECT_TRUE(ring::prep_read(r, 9, sv[0], buf, sizeof buf));
    EXPECT_TRUE(ring::link_timeout(r, &ts));
    auto c = r.await(9);
    return c ? c.value().res : -EIO;
  };
  EXPECT_EQ(read_with_deadline(30ms), -ECANCELED);
  close(sv[1]);
  EXPECT_EQ(read_with_deadline(1000ms), 0);  // EOF: the peer is gone
  close(sv[0]);
}

TEST(Ring, ReapsChildExitCodeAndSignal) {
  ring::Ring r;
  ASSERT_TRUE(r.init(8));
  for (int want : {0, 3, 128 + SIGKILL}) {
    int pidfd = -1;
    pid_t pid = sys::fork_pidfd(&pidfd);
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      if (want > 128) pause();
      _exit(want);
    }
    if (want > 128) sys::pidfd_send_signal(pidfd, SIGKILL);
    auto code = await_exit(r, pidfd, true, 5000ms);
    ASSERT_TRUE(code) << code.error().what();
    EXPECT_EQ(code.value(), want);
    close(pidfd);
  }
}

TEST(Ring, ProbeReportsWaitid) {
  ring::Ring r;
  ASSERT_TRUE(r.init(8));
  if (!r.features().waitid) GTEST_SKIP() << "kernel lacks IORING_OP_WAITID: poll fallback in use";
  SUCCEED();
}

TEST(Ring, FullQueueIsFlushedNotFatal) {
  ring::Ring r;
  ASSERT_TRUE(r.init(4));
  if (r.poller()) GTEST_SKIP() << "the epoll backend's queue has no fixed size";
  __kernel_timespec ts{0, 1000};
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ring::prep_timeout(r, 100 + i, &ts));
  EXPECT_GT(r.queue_full_count(), 0u);
  int seen = 0;
  ring::Completion c[32];
  while (seen < 20) {
    ASSERT_TRUE(r.wait());
    seen += int(r.reap(c, 32));
  }
}
