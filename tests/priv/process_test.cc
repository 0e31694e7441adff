// What reaches the container's program from ringc's caller: a pty
// (process.terminal with --console-socket, or a foreground run), preserved
// fds, and nothing else; --no-pivot and the session keyring.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <sstream>

#include "core/base/sys.h"
#include "core/init/console.h"
#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
void terminal_on(std::string& c) {
  replace(c, "\"terminal\": false",
          "\"terminal\": true, \"consoleSize\": {\"height\": 30, "
          "\"width\": 100}");
}

int listen_unix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  unlink(path.c_str());
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << strerror(errno);
  EXPECT_EQ(listen(fd, 1), 0);
  return fd;
}

// Accepts one connection on lfd and checks that it brings a pidfd (runc's
// payload "pidfd") of the process whose pid pid_file holds.
void expect_pidfd_of(int lfd, const std::string& pid_file) {
  int conn = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  std::string text;
  auto fd = receive_fd(conn, &text, true);
  close(conn);
  ASSERT_TRUE(fd) << fd.error().what();
  EXPECT_EQ(text, "pidfd");
  std::string info = slurp("/proc/self/fdinfo/" + std::to_string(fd.value().get()));
  EXPECT_NE(info.find("Pid:\t" + slurp(pid_file) + "\n"), std::string::npos) << info;
}

// Everything the pty master gives until no peer is left (EIO).
std::string drain(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, size_t(n));
  return s;
}
}  // namespace

// runc's protocol: ringc connects to the caller's socket and sends the pty
// master made inside the container; the program has the pty as its
// controlling terminal and stdio, sized as consoleSize says.
TEST_F(Priv, ConsoleSocketReceivesThePty) {
  std::string sock_path = root_ + ".console.sock";
  int lfd = listen_unix(sock_path);
  std::string b = bundle({"sh", "-c", "tty; stty size; ls /proc/self/fd | tr '\\n' ' '; echo done"},
                         terminal_on);
  std::string c = id("console");
  Cmd r = ringc({"create", "--console-socket", sock_path, "-b", b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  int conn = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(conn, 0);
  std::string text;
  auto received = receive_fd(conn, &text, true);
  ASSERT_TRUE(received) << received.error().what();
  int master = received.value().get();
  EXPECT_EQ(text, "/dev/ptmx");
  ASSERT_EQ(ringc({"start", c}).code, 0);
  std::string out = drain(master);
  EXPECT_NE(out.find("/dev/pts/0\r\n30 100\r\n0 1 2 3 done"), std::string::npos) << out;
  close(conn);
  close(lfd);
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

// A foreground `run` of a terminal container copies the pty to stdout
// (through the ring) and returns the program's exit code.
// Through a daemon the same: the client takes the pty on a console socket
// of its own.
TEST_F(Priv, ForegroundRunWithATerminal) {
  std::string b = bundle({"sh", "-c", "tty; stty size; exit 3"}, terminal_on);
  for (auto way : ways()) {
    way.insert(way.end(), {"run", "-b", b, id("fgtty")});
    Cmd r = ringc(way);
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_EQ(r.out, "/dev/pts/0\r\n30 100\r\n") << r.err;
  }
}

TEST_F(Priv, TerminalNeedsSomewhereToGo) {
  std::string b = bundle({"true"}, terminal_on);
  Cmd r = ringc({"create", "-b", b, id("nosock")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "ringc: process.terminal is true: a detached container needs --console-socket to hand "
            "its pty to\n");
  r = ringc(
      {"create", "--console-socket", root_ + ".none.sock", "-b", bundle({"true"}), id("notty")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: --console-socket: process.terminal is false, there is no pty to send\n");
  r = ringc({"create", "--console-socket", root_ + ".none.sock", "-b", b, id("nolisten")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("connect console socket"), std::string::npos) << r.err;
}

// fds 3.. of the caller reach the program with --preserve-fds and
// LISTEN_FDS (which also sets LISTEN_FDS and LISTEN_PID=1 inside);
// nothing else does, and a count past what the caller has open is refused.
TEST_F(Priv, PreservedAndListenFds) {
  std::string b = bundle({"sh", "-c",
                          "ls /proc/self/fd | tr '\\n' ' '; echo; "
                          "echo $LISTEN_FDS $LISTEN_PID; cat <&3; cat <&4"});
  std::string file = root_ + ".fdfile";
  {
    int fd = open(file.c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_EQ(write(fd, "from-caller\n", 12), 12);
    close(fd);
  }
  auto open_fds = [&]() {
    // The test process leaks its own fds into the child: close them first.
    ringc::sys::close_range(3, ~0u);  // with its fallback (the fallback tests refuse close_range)
    int a = open(file.c_str(), O_RDONLY), b2 = open(file.c_str(), O_RDONLY);
    (void)a;
    (void)b2;
    setenv("LISTEN_FDS", "1", 1);
    setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  };
  // Through a daemon the client sends them (SCM_RIGHTS) with its stdio.
  for (auto way : ways()) {
    auto args = way;
    args.insert(args.end(), {"run", "--preserve-fds", "1", "-b", b, id("fds")});
    Cmd r = ringc_with(args, open_fds);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "0 1 2 3 4 5 \n1 1\nfrom-caller\nfrom-caller\n");  // 5: ls's own
    args = way;
    args.insert(args.end(), {"run", "--preserve-fds", "5", "-b", b, id("fds")});
    r = ringc_with(args, open_fds);
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "ringc: run: --preserve-fds: fd 5 is not open\n");
  }
}

TEST_F(Priv, OnlyStdioReachesTheProgram) {
  std::string b = bundle({"sh", "-c", "ls /proc/self/fd | tr '\\n' ' '"});
  Cmd r = ringc({"run", "-b", b, id("nofds")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0 1 2 3 ");  // 3 is ls's own directory
}

// The keyring is named after the container (/proc/keys, unmasked here).
TEST_F(Priv, NoPivotAndSessionKeyring) {
  auto unmask = [](std::string& c) { replace(c, "\"/proc/keys\",", ""); };
  std::string c = id("nopivot");
  std::string b =
      bundle({"sh", "-c", "ls /bin/busybox; grep -c _ses." + c + " /proc/keys"}, unmask);
  Cmd r = ringc({"run", "--no-pivot", "-b", b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "/bin/busybox\n1\n") << r.out;
  c = id("nokeyring");
  b = bundle({"sh", "-c", "grep -c _ses." + c + " /proc/keys"}, unmask);
  r = ringc({"run", "--no-new-keyring", "-b", b, c});
  EXPECT_EQ(r.out, "0\n") << r.err;
}

// Through a daemon, runc's create flags reach the init the same way: the
// pty master goes to --console-socket (the daemon connects to it), a
// pidfd of the init to --pidfd-socket, and --no-pivot and --no-new-keyring
// are the init's.
TEST_F(Priv, DaemonHandsThePtyToTheConsoleSocket) {
  std::string sock = root_ + ".sock";
  Running d = ringc_async({"daemon", "--socket", sock});
  ASSERT_NE(d.read_line().find("listening"), std::string::npos);
  std::string console = root_ + ".console.sock";
  int lfd = listen_unix(console);
  auto tty_unmasked = [](std::string& c) {
    terminal_on(c);
    replace(c, "\"/proc/keys\",", "");
  };
  for (const char* flag : {"--no-new-keyring", "--no-pivot"}) {
    std::string c = id("dtty");
    std::string b =
        bundle({"sh", "-c", "tty; grep -c _ses." + c + " /proc/keys; echo done"}, tty_unmasked);
    Cmd r = ringc({"--daemon", sock, "create", flag, "--console-socket", console, "-b", b, c});
    ASSERT_EQ(r.code, 0) << r.err;
    int conn = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(conn, 0);
    auto received = receive_fd(conn, nullptr, true);
    ASSERT_TRUE(received) << received.error().what();
    ASSERT_EQ(ringc({"--daemon", sock, "start", c}).code, 0);
    std::string keyrings = std::string(flag) == "--no-new-keyring" ? "0" : "1";
    EXPECT_EQ(drain(received.value().get()), "/dev/pts/0\r\n" + keyrings + "\r\ndone\r\n") << flag;
    close(conn);
    EXPECT_EQ(ringc({"--daemon", sock, "delete", "--force", c}).code, 0);
  }
  close(lfd);
  // --pidfd-socket: the daemon sends a pidfd of the init once it is made.
  std::string pidfd_sock = root_ + ".pidfd.sock";
  lfd = listen_unix(pidfd_sock);
  std::string c = id("dpidfd");
  Cmd run = ringc({"--daemon", sock, "run", "-d", "--pidfd-socket", pidfd_sock, "--pid-file",
                   root_ + ".pid", "-b", bundle({"sleep", "60"}), c});
  ASSERT_EQ(run.code, 0) << run.err;
  expect_pidfd_of(lfd, root_ + ".pid");
  close(lfd);
  EXPECT_EQ(ringc({"--daemon", sock, "delete", "--force", c}).code, 0);
  // A terminal with no socket to hand it to is refused by name.
  Cmd r = ringc({"--daemon", sock, "run", "-d", "-b", bundle({"true"}, terminal_on), id("nosock")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("needs a console socket"), std::string::npos) << r.err;
  kill(d.pid, SIGTERM);
  EXPECT_EQ(d.wait(), 0);
}

}  // namespace ringc::test

namespace ringc::test {

// --pidfd-socket (runc 1.2): the caller gets a pidfd of the init, and of
// an exec'd process.
TEST_F(Priv, PidfdSocketReceivesThePidfd) {
  std::string sock_path = root_ + ".pidfd.sock";
  int lfd = listen_unix(sock_path);
  std::string c = id("pidfd");
  Cmd r = ringc({"run", "-d", "--pidfd-socket", sock_path, "--pid-file", root_ + ".pid", "-b",
                 bundle({"sleep", "60"}), c});
  ASSERT_EQ(r.code, 0) << r.err;
  expect_pidfd_of(lfd, root_ + ".pid");
  close(lfd);
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

}  // namespace ringc::test
