// The runc lifecycle on real containers: every step's status checked, and
// (in TearDown) nothing left under --root or in the cgroup tree.
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
int pid_of(const std::string& state_json) {
  auto at = state_json.find("\"pid\": ");
  return at == std::string::npos ? -1 : std::atoi(state_json.c_str() + at + 7);
}
bool has_status(const std::string& state_json, const std::string& s) {
  return state_json.find("\"status\": \"" + s + "\"") != std::string::npos;
}
}  // namespace

TEST_F(Priv, CreateStartStateKillDelete) {
  std::string b = bundle({"sleep", "1000"});
  std::string c = id("life");
  std::string pidfile = root_ + ".pid";
  Cmd r = ringc({"create", "--bundle", b, "--pid-file", pidfile, c});
  ASSERT_EQ(r.code, 0) << r.err;
  Cmd st = ringc({"state", c});
  ASSERT_EQ(st.code, 0) << st.err;
  EXPECT_TRUE(has_status(st.out, "created")) << st.out;
  EXPECT_NE(st.out.find("\"bundle\": \"" + b + "\""), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("\"ociVersion\""), std::string::npos);
  EXPECT_NE(st.out.find("\"created\""), std::string::npos);
  EXPECT_NE(st.out.find("\"owner\""), std::string::npos);
  int pid = pid_of(st.out);
  ASSERT_GT(pid, 0);
  std::ifstream pf(pidfile);
  int filed = 0;
  pf >> filed;
  EXPECT_EQ(filed, pid);
  // Created: set up but the user's program has not run (init still ringc).
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  comm >> name;
  EXPECT_EQ(name, "ringc");

  ASSERT_EQ(ringc({"start", c}).code, 0);
  st = ringc({"state", c});
  EXPECT_TRUE(has_status(st.out, "running")) << st.out;
  Cmd again = ringc({"start", c});
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err, "ringc: cannot start container \"" + c + "\" in state running\n");

  Cmd l = ringc({"list"});
  EXPECT_EQ(l.out.rfind("ID ", 0), 0u) << l.out;
  EXPECT_NE(l.out.find("   PID         STATUS      BUNDLE"), std::string::npos) << l.out;
  EXPECT_NE(l.out.find(c), std::string::npos);
  Cmd lj = ringc({"list", "--format", "json"});
  EXPECT_EQ(lj.out.substr(0, 2), "[{") << lj.out;
  EXPECT_NE(lj.out.find("\"status\":\"running\""), std::string::npos) << lj.out;

  ASSERT_EQ(ringc({"kill", c, "KILL"}).code, 0);
  wait_gone(pid);
  st = ringc({"state", c});
  EXPECT_TRUE(has_status(st.out, "stopped")) << st.out;
  Cmd k = ringc({"kill", c});
  EXPECT_EQ(k.code, 1);
  EXPECT_EQ(k.err, "ringc: cannot kill container \"" + c + "\": container not running\n");

  ASSERT_EQ(ringc({"delete", c}).code, 0);
  Cmd gone = ringc({"state", c});
  EXPECT_EQ(gone.code, 1);
  EXPECT_EQ(gone.err, "ringc: container \"" + c + "\" does not exist\n");
}

TEST_F(Priv, ExitCodeComesBack) {
  for (int code : {0, 1, 7, 255}) {
    std::string b = bundle({"sh", "-c", "exit " + std::to_string(code)});
    Cmd r = ringc({"run", "-b", b, id("exit")});
    EXPECT_EQ(r.code, code) << r.err;
  }
}

TEST_F(Priv, KilledBySignalIs128PlusN) {
  std::string b = bundle({"sh", "-c", "echo ready; exec sleep 1000"});
  std::string c = id("sig");
  Running run = ringc_async({"run", "-b", b, c});
  ASSERT_EQ(run.read_line(), "ready");
  ASSERT_EQ(ringc({"kill", c, "9"}).code, 0);
  EXPECT_EQ(run.wait(), 128 + SIGKILL);
}

TEST_F(Priv, KillDeliversSeveralSignals) {
  // pid 1 of a pid namespace only gets signals it handles: sh traps them.
  std::string b = bundle(
      {"sh", "-c",
       "trap 'echo got USR1' USR1; trap 'echo got HUP' HUP; trap 'echo got TERM; exit 3' TERM; "
       "echo ready; while :; do sleep 0.05; done"});
  std::string c = id("sigs");
  Running run = ringc_async({"run", "-b", b, c});
  ASSERT_EQ(run.read_line(), "ready");
  ASSERT_EQ(ringc({"kill", c, "USR1"}).code, 0);
  EXPECT_EQ(run.read_line(), "got USR1");
  ASSERT_EQ(ringc({"kill", c, "SIGHUP"}).code, 0);
  EXPECT_EQ(run.read_line(), "got HUP");
  ASSERT_EQ(ringc({"kill", c}).code, 0);  // default TERM
  EXPECT_EQ(run.read_line(), "got TERM");
  EXPECT_EQ(run.wait(), 3);
}

// Through a daemon too: the client asks it to pass each signal on, and
// the program's output reaches the client's stdout.
TEST_F(Priv, ForegroundRunForwardsSignals) {
  std::string b = bundle(
      {"sh", "-c", "trap 'echo fwd INT; exit 5' INT; echo ready; while :; do sleep 0.05; done"});
  for (auto way : ways()) {
    way.insert(way.end(), {"run", "-b", b, id("fwd")});
    Running run = ringc_async(way);
    ASSERT_EQ(run.read_line(), "ready");
    ::kill(run.pid, SIGINT);
    EXPECT_EQ(run.read_line(), "fwd INT");
    EXPECT_EQ(run.wait(), 5);
  }
}

// runc run --keep: the stopped container stays for `state` and `delete`
// (--no-subreaper is taken and changes nothing: ringc is never one).
TEST_F(Priv, RunKeepLeavesTheStoppedContainer) {
  std::string b = bundle({"sh", "-c", "exit 3"});
  for (auto way : ways()) {
    std::string c = id("keep");
    auto args = way;
    args.insert(args.end(), {"run", "--keep", "--no-subreaper", "-b", b, c});
    Cmd r = ringc(args);
    EXPECT_EQ(r.code, 3) << r.err;
    args = way;
    args.insert(args.end(), {"state", c});
    EXPECT_TRUE(has_status(ringc(args).out, "stopped")) << ringc(args).out;
    args = way;
    args.insert(args.end(), {"delete", c});
    EXPECT_EQ(ringc(args).code, 0);
    EXPECT_FALSE(cgroup_exists(c));
  }
}

TEST_F(Priv, DeleteRunningNeedsForce) {
  std::string b = bundle({"sleep", "1000"});
  std::string c = id("force");
  ASSERT_EQ(ringc({"run", "-d", "-b", b, c}).code, 0);
  int pid = pid_of(ringc({"state", c}).out);
  Cmd d = ringc({"delete", c});
  EXPECT_EQ(d.code, 1);
  EXPECT_EQ(d.err, "ringc: cannot delete container \"" + c + "\" in state running\n");
  EXPECT_TRUE(has_status(ringc({"state", c}).out, "running"));
  Cmd f = ringc({"delete", "--force", c});
  EXPECT_EQ(f.code, 0) << f.err;
  EXPECT_FALSE(alive(pid)) << "process survived delete --force";
}

TEST_F(Priv, DeleteCreatedKillsInit) {
  std::string b = bundle({"sleep", "1000"});
  std::string c = id("created-del");
  ASSERT_EQ(ringc({"create", "-b", b, c}).code, 0);
  int pid = pid_of(ringc({"state", c}).out);
  Cmd d = ringc({"delete", c});
  EXPECT_EQ(d.code, 0) << d.err;
  EXPECT_FALSE(alive(pid));
}

// Two creates of one id at once: mkdir of the state directory is the
// arbiter, so exactly one wins and the loser leaves nothing of its own.
TEST_F(Priv, ConcurrentCreateOneIdOneWinner) {
  std::string b = bundle({"sleep", "1000"});
  for (int round = 0; round < 5; ++round) {
    std::string c = id("race");
    Cmd r1, r2;
    std::thread t1([&] { r1 = ringc({"create", "-b", b, c}); });
    std::thread t2([&] { r2 = ringc({"create", "-b", b, c}); });
    t1.join();
    t2.join();
    EXPECT_EQ((r1.code == 0) + (r2.code == 0), 1) << r1.err << r2.err;
    const Cmd& loser = r1.code == 0 ? r2 : r1;
    EXPECT_EQ(loser.err, "ringc: container with id exists: " + c + "\n");
    EXPECT_TRUE(has_status(ringc({"state", c}).out, "created"));
    EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
  }
}

TEST_F(Priv, DetachedRunIsRunningThenStops) {
  std::string b = bundle({"sh", "-c", "read x"});  // exits when stdin closes
  std::string c = id("detach");
  Cmd r = ringc({"run", "--detach", "--bundle", b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  int pid = pid_of(ringc({"state", c}).out);
  wait_gone(pid);
  EXPECT_TRUE(has_status(ringc({"state", c}).out, "stopped"));
  EXPECT_EQ(ringc({"delete", c}).code, 0);
}

TEST_F(Priv, KillAllReachesEveryProcess) {
  std::string b = bundle({"sh", "-c", "sleep 1000 & sleep 1000 & echo ready; wait"});
  std::string c = id("killall");
  Running run = ringc_async({"run", "-b", b, c});
  ASSERT_EQ(run.read_line(), "ready");
  ASSERT_EQ(ringc({"kill", "--all", c, "KILL"}).code, 0);
  EXPECT_EQ(run.wait(), 128 + SIGKILL);
}

}  // namespace ringc::test
