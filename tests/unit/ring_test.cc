#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "core/base/exit.h"
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

// Every test below runs on both backends: io_uring and the epoll one that
// stands in where io_uring is refused (ring/poller.h).
class Ring : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { ::setenv("RINGC_BACKEND", GetParam().c_str(), 1); }
  void TearDown() override { ::unsetenv("RINGC_BACKEND"); }
  // A ring on the backend under test (a skip where io_uring is refused here).
  bool make(ring::Ring& r, unsigned entries) {
    auto ok = r.init(entries);
    if (!ok && GetParam() == "io_uring") return false;
    EXPECT_TRUE(ok);
    EXPECT_EQ(r.features().backend,
              GetParam() == "epoll" ? ring::Backend::kEpoll : ring::Backend::kIoUring);
    return ok.has_value();
  }
  static int res_of(ring::Ring& r, uint64_t user_data) {
    auto c = r.await(user_data);
    return c ? c.value().res : -EIO;
  }
};
// A pipe closed at the end of the test (an end set to -1 is left alone).
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe2(fd, O_CLOEXEC), 0); }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, Ring, ::testing::Values("io_uring", "epoll"),
                         [](const auto& info) { return info.param; });

#define MAKE_RING(r, n) \
  ring::Ring r;         \
  if (!make(r, n)) GTEST_SKIP() << "io_uring refused here";

TEST_P(Ring, TimerCompletes) {
  MAKE_RING(r, 8);
  auto t0 = std::chrono::steady_clock::now();
  auto ts = ring::to_timespec(20ms);
  ASSERT_TRUE(ring::prep_timeout(r, 7, &ts));
  ASSERT_TRUE(r.await(7));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 19ms);
}

TEST_P(Ring, LinkedTimeoutCancelsRead) {
  MAKE_RING(r, 8);
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

TEST_P(Ring, ReapsChildExitCodeAndSignal) {
  MAKE_RING(r, 8);
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

TEST_P(Ring, ProbeReportsWaitid) {
  MAKE_RING(r, 8);
  if (!r.features().waitid) GTEST_SKIP() << "kernel lacks IORING_OP_WAITID: poll fallback in use";
  SUCCEED();
}

TEST_P(Ring, FullQueueIsFlushedNotFatal) {
  MAKE_RING(r, 4);
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

TEST_P(Ring, ReadWaitsForDataThenCompletes) {
  MAKE_RING(r, 8);
  Pipe p;
  char buf[16];
  ASSERT_TRUE(ring::prep_read(r, 1, p.fd[0], buf, sizeof buf));
  ASSERT_TRUE(r.submit());
  ring::Completion c[4];
  EXPECT_EQ(r.reap(c, 4), 0u);  // nothing to read yet
  ASSERT_EQ(::write(p.fd[1], "hello", 5), 5);
  EXPECT_EQ(res_of(r, 1), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
}

// io_uring holds the file while an operation waits: closing the caller's
// fd neither cancels it nor loses its event (the epoll backend holds a dup).
TEST_P(Ring, AWaitOutlivesTheCallersFd) {
  MAKE_RING(r, 8);
  Pipe p;
  ASSERT_TRUE(ring::prep_poll_in(r, 2, p.fd[0]));
  ASSERT_TRUE(r.submit());
  ::close(p.fd[0]);
  p.fd[0] = -1;
  Pipe other;  // takes the closed number: its events must not count
  ASSERT_EQ(::write(other.fd[1], "x", 1), 1);
  ASSERT_EQ(::write(p.fd[1], "y", 1), 1);
  EXPECT_TRUE(res_of(r, 2) & POLLIN);
}

TEST_P(Ring, CancelNowEndsAWaitAtOnce) {
  MAKE_RING(r, 8);
  Pipe p;
  char buf[8];
  ASSERT_TRUE(ring::prep_read(r, 3, p.fd[0], buf, sizeof buf));
  ASSERT_TRUE(r.submit());
  ASSERT_TRUE(ring::cancel_now(r, 3));
  EXPECT_EQ(res_of(r, 3), -ECANCELED);
  // A cancel by SQE: the timeout ends with -ECANCELED, not -ETIME.
  auto ts = ring::to_timespec(std::chrono::seconds(30));
  ASSERT_TRUE(ring::prep_timeout(r, 4, &ts));
  ASSERT_TRUE(r.submit());
  ASSERT_TRUE(ring::prep_cancel(r, 4));
  EXPECT_EQ(res_of(r, 4), -ECANCELED);
}

TEST_P(Ring, SocketsSendRecvmsgAccept) {
  MAKE_RING(r, 8);
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  char in[8] = {};
  iovec iov{in, sizeof in};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ASSERT_TRUE(ring::prep_recvmsg(r, 5, sv[1], &msg, 0));
  ASSERT_TRUE(ring::prep_send(r, 6, sv[0], "ping", 4));
  EXPECT_EQ(res_of(r, 5), 4);
  EXPECT_EQ(std::string(in, 4), "ping");

  int l = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::string path = "/tmp/ringc-ring-test." + std::to_string(::getpid());
  ::unlink(path.c_str());
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(l, 4), 0);
  ASSERT_TRUE(ring::prep_accept(r, 7, l));
  ASSERT_TRUE(r.submit());
  int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  int got = res_of(r, 7);
  EXPECT_GE(got, 0);
  if (got >= 0) ::close(got);
  ::unlink(path.c_str());
  for (int fd : {sv[0], sv[1], l, c}) ::close(fd);
}

TEST_P(Ring, FileOperationsAndAReplacedFile) {
  MAKE_RING(r, 16);
  std::string dir = "/tmp/ringc-ring-files." + std::to_string(::getpid());
  ASSERT_TRUE(ring::prep_mkdir(r, 8, dir.c_str(), 0700));
  EXPECT_EQ(res_of(r, 8), 0);
  ASSERT_TRUE(ring::prep_mkdir(r, 9, dir.c_str(), 0700));
  EXPECT_EQ(res_of(r, 9), -EEXIST);
  if (r.register_files() || r.poller()) {
    std::string tmp = dir + "/f.tmp", path = dir + "/f";
    const char text[] = "record";
    unsigned n =
        ring::prep_replace_file(r, 10, 0, tmp.c_str(), path.c_str(), dir.c_str(), text, 6, true);
    ASSERT_EQ(n, 8u);
    ASSERT_TRUE(r.submit());
    for (unsigned seen = 0; seen < n;) {
      ASSERT_TRUE(r.wait());
      ring::Completion c[16];
      for (unsigned k = 0, got = r.reap(c, 16); k < got; ++k, ++seen) EXPECT_GE(c[k].res, 0);
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 6);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_TRUE(ring::prep_fsync(r, 11, fd));
    EXPECT_EQ(res_of(r, 11), 0);
    ::close(fd);
    ASSERT_TRUE(ring::prep_unlink(r, 12, path.c_str(), 0));
    EXPECT_EQ(res_of(r, 12), 0);
  }
  ASSERT_TRUE(ring::prep_unlink(r, 13, dir.c_str(), AT_REMOVEDIR));
  EXPECT_EQ(res_of(r, 13), 0);
}

TEST(RingChoice, DescribeNamesTheBackendAndWhy) {
  ring::Features f;
  EXPECT_EQ(ring::describe(f), "io_uring");
  f.backend = ring::Backend::kEpoll;
  f.setup_errno = EPERM;
  EXPECT_EQ(ring::describe(f), "epoll (io_uring_setup: Operation not permitted)");
  f.setup_errno = 0;
  f.missing_opcode = IORING_OP_MKDIRAT;
  EXPECT_EQ(ring::describe(f), "epoll (io_uring lacks IORING_OP_MKDIRAT, kernel 5.15)");
}
