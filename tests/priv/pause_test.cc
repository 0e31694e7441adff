// pause / resume / ps on real containers: the FSM states, the kernel's
// view of the freezer, and signals held while frozen.
#include <poll.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>

#include "cgroup/freezer.h"
#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
bool has_status(const std::string& state_json, const std::string& s) {
  return state_json.find("\"status\": \"" + s + "\"") != std::string::npos;
}
bool readable_within(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 1;
}
bool frozen(const std::string& id) {
  auto host = cgroup::detect();
  auto f = cgroup::is_frozen(*host.value(), "/ringc/" + id);
  return f && f.value();
}
}  // namespace

TEST_F(Priv, PauseHoldsSignalsUntilResume) {
  std::string b = bundle({"sh", "-c",
                          "trap 'echo got USR1' USR1; trap 'exit 4' TERM; echo ready; "
                          "while :; do sleep 0.05; done"});
  std::string c = id("pause");
  Running run = ringc_async({"run", "-b", b, c});
  ASSERT_EQ(run.read_line(), "ready");

  Cmd p = ringc({"pause", c});
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_TRUE(has_status(ringc({"state", c}).out, "paused"));
  EXPECT_NE(ringc({"list"}).out.find(" paused "), std::string::npos);
  EXPECT_TRUE(frozen(c)) << "the kernel does not report the cgroup frozen";
  Cmd again = ringc({"pause", c});
  EXPECT_EQ(again.err, "ringc: cannot pause container \"" + c + "\" in state paused\n");

  ASSERT_EQ(ringc({"kill", c, "USR1"}).code, 0);
  EXPECT_FALSE(readable_within(run.out_fd, 300)) << "a frozen container ran its trap";

  Cmd r = ringc({"resume", c});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(frozen(c));
  EXPECT_EQ(run.read_line(), "got USR1");
  EXPECT_TRUE(has_status(ringc({"state", c}).out, "running"));
  EXPECT_EQ(ringc({"resume", c}).err,
            "ringc: cannot resume container \"" + c + "\" in state running\n");
  ASSERT_EQ(ringc({"kill", c, "TERM"}).code, 0);
  EXPECT_EQ(run.wait(), 4);
}

TEST_F(Priv, DeleteForceOfPausedContainer) {
  std::string b = bundle({"sleep", "1000"});
  std::string c = id("pausedel");
  ASSERT_EQ(ringc({"run", "-d", "-b", b, c}).code, 0);
  ASSERT_EQ(ringc({"pause", c}).code, 0);
  Cmd d = ringc({"delete", c});
  EXPECT_EQ(d.err, "ringc: cannot delete container \"" + c + "\" in state paused\n");
  Cmd f = ringc({"delete", "--force", c});
  EXPECT_EQ(f.code, 0) << f.err;
}

// As runc: a SIGKILL to a paused container lands (a task frozen in v1
// dies only once thawed): the init exits and the container is stopped,
// by `kill` and by containerd's `kill --all`.
TEST_F(Priv, KillNineOfAPausedContainerStopsIt) {
  for (bool all : {false, true}) {
    std::string b = bundle({"sleep", "1000"});
    std::string c = id(all ? "pausekillall" : "pausekill");
    ASSERT_EQ(ringc({"run", "-d", "-b", b, c}).code, 0);
    ASSERT_EQ(ringc({"pause", c}).code, 0);
    std::string st = ringc({"state", c}).out;
    size_t at = st.find("\"pid\": ");
    ASSERT_NE(at, std::string::npos) << st;
    pid_t pid = std::atoi(st.c_str() + at + 7);
    ASSERT_GT(pid, 0) << st;
    std::vector<std::string> kill = {"kill"};
    if (all) kill.push_back("--all");
    kill.insert(kill.end(), {c, "9"});
    Cmd k = ringc(kill);
    ASSERT_EQ(k.code, 0) << k.err;
    wait_gone(pid);
    EXPECT_TRUE(has_status(ringc({"state", c}).out, "stopped")) << ringc({"state", c}).out;
    Cmd d = ringc({"delete", c});
    EXPECT_EQ(d.code, 0) << d.err;
  }
}

TEST_F(Priv, PsListsEveryProcess) {
  std::string b = bundle({"sh", "-c", "sleep 1001 & sleep 1002 & echo ready; wait"});
  std::string c = id("ps");
  Running run = ringc_async({"run", "-b", b, c});
  ASSERT_EQ(run.read_line(), "ready");
  Cmd j = ringc({"ps", "--format", "json", c});
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_EQ(std::count(j.out.begin(), j.out.end(), ','), 2) << j.out;  // three pids
  EXPECT_EQ(j.out.front(), '[');
  Cmd t = ringc({"ps", c});
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_EQ(t.out.rfind("UID", 0), 0u) << t.out;
  EXPECT_NE(t.out.find("sleep 1001"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("sleep 1002"), std::string::npos) << t.out;
  EXPECT_EQ(std::count(t.out.begin(), t.out.end(), '\n'), 4) << t.out;
  Cmd o = ringc({"ps", c, "-o", "pid,comm"});  // after the id: the host ps's own options
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(o.out.substr(0, 3), "  P") << o.out;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 4) << o.out;
  ASSERT_EQ(ringc({"kill", "--all", c, "KILL"}).code, 0);
  EXPECT_EQ(run.wait(), 128 + SIGKILL);
}

}  // namespace ringc::test
