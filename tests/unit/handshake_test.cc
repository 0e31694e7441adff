// The typed messages between the runtime, a container's init and the
// spawner: what a reader that gets the wrong message says.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "core/init/handshake.h"
#include "core/spawn/spawner.h"

namespace ringc {
namespace {

struct Pair {
  int fd[2] = {-1, -1};
  Pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fd), 0); }
  ~Pair() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
};

TEST(Handshake, AnExpectedMessagePasses) {
  HandshakeMsg m = message(MsgKind::ready);
  EXPECT_TRUE(check_message(m, sizeof m, {MsgKind::ready, MsgKind::hooks}));
}

TEST(Handshake, AnUnexpectedKindNamesBoth) {
  HandshakeMsg m = message(MsgKind::pid);
  auto r = check_message(m, sizeof m, {MsgKind::ready, MsgKind::hooks});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(),
            "handshake: expected ready or hooks from the container init, got pid");
  auto none = check_message(m, sizeof m, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().what(), "handshake: expected no message from the container init, got pid");
}

TEST(Handshake, AnErrorMessageIsTheInitsOwnError) {
  HandshakeMsg m = error_message(ringc_error(Errc::init_failed, "mount proc: no such device"));
  auto r = check_message(m, sizeof m, {MsgKind::ready});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "mount proc: no such device");
  HandshakeMsg bare = message(MsgKind::error);
  bare.err = EPERM;
  auto e = check_message(bare, sizeof bare, {MsgKind::ready});
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().what(), "container init: operation not permitted");
}

TEST(Handshake, AnotherVersionOrSizeIsRefusedByName) {
  HandshakeMsg m = message(MsgKind::ready);
  m.version = kHandshakeVersion + 1;
  auto r = check_message(m, sizeof m, {MsgKind::ready});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("speaks version " + std::to_string(kHandshakeVersion + 1)),
            std::string::npos)
      << r.error().what();
  HandshakeMsg short_one = message(MsgKind::ready);
  auto s = check_message(short_one, 3, {MsgKind::ready});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().what().find("got 3 bytes"), std::string::npos) << s.error().what();
}

TEST(Handshake, GoBytesAreTyped) {
  Pair p;
  ASSERT_TRUE(send_go(p.fd[0], Go::hooks_ran));
  EXPECT_TRUE(await_go(p.fd[1], Go::hooks_ran));
  ASSERT_TRUE(send_go(p.fd[0], Go::start));
  auto r = await_go(p.fd[1], Go::mapped);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "handshake: expected mapped from the runtime, got start");
  char junk = 'x';
  ASSERT_EQ(::send(p.fd[0], &junk, 1, 0), 1);
  auto j = await_go(p.fd[1], Go::start);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().what(), "handshake: expected start from the runtime, got byte 0x78");
}

// A parked init's start brings the run's stdio: in a child (await_start
// puts it over fds 0-2), what the child writes to 1 and 2 reaches the
// pipe sent, and a start with no fds leaves its stdio as it was.
TEST(Handshake, AStartMayBringStdio) {
  Pair p;
  int out[2];
  ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(p.fd[0]);
    bool ok = await_start(p.fd[1]) == nullptr;
    (void)!::write(1, ok ? "one" : "bad", 3);
    (void)!::write(2, "two", 3);
    ::_exit(0);
  }
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int stdio[3] = {devnull, out[1], out[1]};
  ASSERT_TRUE(send_start_with_stdio(p.fd[0], stdio));
  ::close(out[1]);
  ::close(devnull);
  std::string got;
  char buf[16];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_EQ(got, "onetwo");

  // The fifo's byte (a read, no socket) is a start too.
  int fifo[2];
  ASSERT_EQ(::pipe2(fifo, O_CLOEXEC), 0);
  char s = char(Go::start);
  ASSERT_EQ(::write(fifo[1], &s, 1), 1);
  EXPECT_EQ(await_start(fifo[0]), nullptr);
  ::close(fifo[0]);
  ::close(fifo[1]);
}

TEST(Handshake, MessagesCrossTheSocketWhole) {
  Pair p;
  HandshakeMsg sent = message(MsgKind::pid);
  sent.pid = 4242;
  ASSERT_TRUE(send_message(p.fd[0], sent));
  HandshakeMsg got{};
  ssize_t n = ::recv(p.fd[1], &got, sizeof got, 0);
  ASSERT_TRUE(check_message(got, n, {MsgKind::pid}));
  EXPECT_EQ(got.pid, 4242);
}

// One raw request (a head, then its NUL-terminated names) to a spawner
// of its own, and the reply.
void ask(const SpawnRequestHead& head, std::string_view names, SpawnReply& rep) {
  Spawner sp;
  ASSERT_TRUE(sp.start());
  std::string req(reinterpret_cast<const char*>(&head), sizeof head);
  req += names;
  ASSERT_EQ(::send(sp.fd(), req.data(), req.size(), 0), ssize_t(req.size()));
  pollfd pfd{sp.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 10000), 1) << "no reply within 10 s";
  ASSERT_EQ(::recv(sp.fd(), &rep, sizeof rep, 0), ssize_t(sizeof rep));
}

constexpr std::string_view kNames("id\0/bundle\0/cg\0", 15);

// A request the spawner cannot read is answered, with why, under its token:
// the engine's launch fails instead of waiting for a reply that never comes.
TEST(Spawner, AnswersARequestOfAnotherVersionWithWhy) {
  SpawnRequestHead head;
  head.version = kSpawnVersion + 1;
  head.token = 0x1234;
  SpawnReply rep;
  ASSERT_NO_FATAL_FAILURE(ask(head, kNames, rep));
  EXPECT_EQ(rep.version, kSpawnVersion);
  EXPECT_EQ(rep.token, 0x1234u);
  EXPECT_EQ(rep.pid, -1);
  std::string why = "version " + std::to_string(kSpawnVersion + 1) + ", the spawner speaks " +
                    std::to_string(kSpawnVersion);
  EXPECT_NE(std::string(rep.text).find(why), std::string::npos) << rep.text;
}

// A pooled network namespace is one more fd, after the console's: a
// request that says it has one and brings none is refused as such.
TEST(Spawner, CountsANetworkNamespacesFd) {
  SpawnRequestHead head;
  head.token = 78;
  head.bits = SpawnRequestHead::kNetns;
  SpawnReply rep;
  ASSERT_NO_FATAL_FAILURE(ask(head, kNames, rep));
  EXPECT_EQ(rep.token, 78u);
  EXPECT_EQ(rep.pid, -1);
  EXPECT_STREQ(rep.text, "spawn request: 0 fds came, 1 expected");
}

TEST(Spawner, AnswersARequestCutShort) {
  SpawnRequestHead head;
  head.token = 77;
  head.env_count = 2;
  SpawnReply rep;
  ASSERT_NO_FATAL_FAILURE(ask(head, std::string_view("id\0/bundle\0/cg\0A=1\0", 19), rep));
  EXPECT_EQ(rep.token, 77u);
  EXPECT_EQ(rep.pid, -1);
  EXPECT_STREQ(rep.text, "spawn request: its environment is cut short");
}

}  // namespace
}  // namespace ringc
