// The daemon tests' fixture: a `ringc daemon` on the test's root, started
// for each test, and a raw protocol client.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "core/init/console.h"
#include "tests/priv/harness.h"

namespace ringc::test {

inline bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A raw protocol client.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { close(fd_); }
  int fd() const { return fd_; }
  bool connected() const { return connected_; }
  void send(const std::string& text) {
    ASSERT_EQ(write(fd_, text.data(), text.size()), ssize_t(text.size()));
  }
  // The next line, "" at EOF or, as a failure, after 60 s without one.
  std::string line() {
    for (;;) {
      size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 60'000) != 1) {
        ADD_FAILURE() << "no line from the daemon within 60 s";
        return "";
      }
      char c[4096];
      ssize_t n = read(fd_, c, sizeof c);
      if (n <= 0) return "";
      buf_.append(c, size_t(n));
    }
  }
  std::string call(const std::string& request) {
    send(request + "\n");
    return line();
  }
  // A request with fds on its first bytes (SCM_RIGHTS), as the CLI sends.
  std::string call_with_fds(const std::string& request, std::span<const int> fds) {
    EXPECT_TRUE(send_fds(fd_, fds, request + "\n", "test request"));
    return line();
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};
class Daemon : public Priv {
 protected:
  void SetUp() override {
    Priv::SetUp();
    if (IsSkipped()) return;
    sock_ = root_ + ".sock";
    start_daemon();
  }
  void TearDown() override {
    if (daemon_.pid > 0) {
      kill(daemon_.pid, SIGTERM);
      EXPECT_EQ(daemon_.wait(), 0);
    }
    Priv::TearDown();
  }
  // daemon_ is the process started, the reaper; the daemon proper is its
  // child, named in the pid file.
  void start_daemon() {
    daemon_ = ringc_async({"daemon", "--socket", sock_, "--pid-file", pid_file()});
    std::string ready = daemon_.read_line();
    ASSERT_TRUE(has(ready, "listening on " + sock_)) << ready;
  }
  std::string pid_file() const { return root_ + ".pid"; }
  pid_t serving_pid() const { return pid_t(std::atoi(slurp(pid_file()).c_str())); }
  // The daemon the reaper started again after `dead`, once it serves (it
  // writes the pid file then); -1 at the deadline, 20 s.
  pid_t restarted_after(pid_t dead) const {
    for (int i = 0; i < 2000; ++i) {
      pid_t now = serving_pid();
      if (now > 0 && now != dead) return now;
      ::usleep(10'000);
    }
    return -1;
  }
  Cmd via(std::vector<std::string> args) {
    args.insert(args.begin(), {"--daemon", sock_});
    return ringc(args);
  }

  std::string sock_;
  Running daemon_;
};

}  // namespace ringc::test
