// The daemon when it is killed: what it adopts, what it still reports.
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "tests/priv/daemon_fixture.h"

namespace ringc::test {

TEST_F(Daemon, AdoptsItsContainersAfterKill9) {
  std::string prefix = id("rc");
  Cmd r = via({"batch", "-b", bundle({"sleep", "1000"}), "--count", "50", "--parallel", "16",
               "--id-prefix", prefix, "--keep"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  // The keeper writes to its client's stdout, a file, and to the fd 3 it
  // passed (--preserve-fds), another: after the daemon's death its
  // restarts write to both still (taken back from the live init).
  std::string keeper = id("always"), out = root_ + ".keeper.out", three = root_ + ".keeper.3";
  int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int three_fd = open(three.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(out_fd, 0);
  ASSERT_GE(three_fd, 0);
  ASSERT_EQ(
      ringc_with({"--daemon", sock_, "run", "-d", "--restart", "always", "--preserve-fds", "1",
                  "-b", bundle({"sh", "-c", "echo run; echo three >&3; exec sleep 1000"}), keeper},
                 [&] {
                   dup2(out_fd, 1);
                   dup2(three_fd, 3);
                 })
          .code,
      0);
  close(out_fd);
  close(three_fd);
  // The reaper and the daemon both killed (the daemon by its death signal):
  // nothing collects the exits in between.
  pid_t serving = serving_pid();
  kill(daemon_.pid, SIGKILL);
  daemon_.wait();
  wait_gone(serving);
  // One container dies while no daemon watches.
  std::string victim = prefix + "-7";
  Cmd st = ringc({"state", victim});
  int pid = std::atoi(st.out.c_str() + st.out.find("\"pid\": ") + 7);
  ASSERT_GT(pid, 0);
  kill(pid, SIGKILL);
  wait_gone(pid);

  start_daemon();
  Cmd stats = via({"stats"});
  EXPECT_TRUE(has(stats.out, "\"running\":50")) << stats.out;  // 49 of the batch, the keeper
  EXPECT_TRUE(has(stats.out, "\"stopped\":1")) << stats.out;
  EXPECT_TRUE(has(via({"state", victim}).out, "\"status\": \"stopped\""));
  // The adopted keeper's policy holds: killed, it is started again, once.
  Client events(sock_);
  ASSERT_TRUE(has(events.call("{\"op\":\"subscribe\"}"), "subscribed"));
  Cmd ks = via({"state", keeper});
  int kpid = std::atoi(ks.out.c_str() + ks.out.find("\"pid\": ") + 7);
  ASSERT_GT(kpid, 0);
  kill(kpid, SIGKILL);
  for (;;) {
    std::string l = events.line();
    ASSERT_NE(l, "");
    if (has(l, "\"id\":\"" + keeper + "\"") && has(l, "\"cause\":\"exec_done\"")) break;
  }
  Cmd again = via({"state", keeper});
  EXPECT_TRUE(has(again.out, "\"status\": \"running\"")) << again.out;
  EXPECT_TRUE(has(again.out, "\"restartCount\": 1")) << again.out;
  // exec_done is the init's exec: the shell writes a moment later.
  EXPECT_EQ(slurp_when(out, "run\nrun\n"), "run\nrun\n");
  EXPECT_EQ(slurp_when(three, "three\nthree\n"), "three\nthree\n");
  EXPECT_EQ(via({"delete", "--force", keeper}).code, 0);
  for (int i = 0; i < 50; ++i) {
    std::string c = prefix + "-" + std::to_string(i);
    ids_.push_back(c);
    EXPECT_EQ(via({"delete", "--force", c}).code, 0) << c;
  }
  EXPECT_EQ(via({"list", "-q"}).out, "");
}

// The daemon runs under its reaper: killed, it is started again, and the
// exit code of every container is reported, whether it ended while no
// daemon ran or after the new one adopted it.
TEST_F(Daemon, ExitCodesOutliveTheDaemon) {
  std::string down = id("down"), after = id("after");
  ASSERT_EQ(via({"run", "-d", "-b", bundle({"sleep", "1000"}), down}).code, 0);
  ASSERT_EQ(
      via({"run", "-d", "-b", bundle({"sh", "-c", "trap 'exit 7' USR1; sleep 1000 & wait"}), after})
          .code,
      0);
  auto pid_of = [&](const std::string& c) {
    Cmd st = ringc({"state", c});
    return pid_t(std::atoi(st.out.c_str() + st.out.find("\"pid\": ") + 7));
  };
  pid_t d = serving_pid();
  ASSERT_GT(d, 0);
  // `down` ends while its daemon is stopped, which is then killed: the
  // zombie is orphaned to the reaper.
  ASSERT_EQ(kill(d, SIGSTOP), 0);
  pid_t init = pid_of(down);
  ASSERT_GT(init, 0);
  ASSERT_EQ(kill(init, SIGKILL), 0);
  wait_gone(init);
  ASSERT_EQ(kill(d, SIGKILL), 0);
  pid_t d2 = restarted_after(d);
  ASSERT_GT(d2, 0) << "the reaper did not start the daemon again";
  Cmd s = via({"state", down});
  EXPECT_TRUE(has(s.out, "\"status\": \"stopped\"")) << s.out;
  EXPECT_TRUE(has(s.out, "\"exitCode\": 137")) << s.out;

  // `after` is adopted, and ends: its code reaches `wait` and the record.
  ASSERT_EQ(via({"kill", after, "USR1"}).code, 0);
  Cmd w = via({"wait", after});
  EXPECT_EQ(w.code, 7) << w.out << w.err;
  EXPECT_TRUE(has(ringc({"state", after}).out, "\"exitCode\": 7"));

  // One more death: both codes are still there (the records keep them).
  ASSERT_EQ(kill(d2, SIGKILL), 0);
  ASSERT_GT(restarted_after(d2), 0);
  EXPECT_TRUE(has(via({"state", down}).out, "\"exitCode\": 137"));
  EXPECT_TRUE(has(via({"state", after}).out, "\"exitCode\": 7"));
  EXPECT_EQ(via({"delete", down}).code, 0);
  EXPECT_EQ(via({"delete", after}).code, 0);
}

// SIGTERM to the reaper stops the daemon (containers stay, for the next
// one to adopt) and the reaper with it, with the daemon's exit code.
TEST_F(Daemon, TermStopsTheDaemonAndItsReaper) {
  std::string c = id("stay");
  ASSERT_EQ(via({"run", "-d", "-b", bundle({"sleep", "1000"}), c}).code, 0);
  pid_t d = serving_pid();
  ASSERT_EQ(kill(daemon_.pid, SIGTERM), 0);
  EXPECT_EQ(daemon_.wait(), 0);
  wait_gone(d);
  EXPECT_TRUE(has(ringc({"state", c}).out, "\"status\": \"running\""));
  start_daemon();
  EXPECT_TRUE(has(via({"state", c}).out, "\"status\": \"running\""));
  EXPECT_EQ(via({"delete", "--force", c}).code, 0);
}

// A container made by the CLI after the daemon started is taken over by
// the first request naming it; a damaged record is removed through the
// daemon as without one (its cgroup killed and removed, a warning).
TEST_F(Daemon, TakesOverCliContainersAndDamagedRecordsOnRequest) {
  std::string made = id("cli-late"), broken = id("cli-broken");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "1000"}), made}).code, 0);
  ASSERT_EQ(via({"kill", made, "KILL"}).code, 0);
  Cmd w = via({"wait", made});
  EXPECT_EQ(w.code, 137) << w.err;
  EXPECT_EQ(via({"delete", made}).code, 0);

  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "1000"}), broken}).code, 0);
  Cmd st = ringc({"state", broken});
  pid_t init = pid_t(std::atoi(st.out.c_str() + st.out.find("\"pid\": ") + 7));
  ASSERT_GT(init, 0);
  {
    FILE* f = std::fopen((root_ + "/" + broken + "/state").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("garbage", f);
    std::fclose(f);
  }
  EXPECT_TRUE(has(via({"list"}).out, "unknown"));
  Cmd d = via({"delete", "--force", broken});
  EXPECT_EQ(d.code, 0) << d.err;
  EXPECT_TRUE(has(d.err, "removed by its cgroup")) << d.err;
  wait_gone(init);
  EXPECT_FALSE(alive(init));
  EXPECT_EQ(via({"list", "-q"}).out, "");
}

}  // namespace ringc::test
