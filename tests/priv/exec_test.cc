// exec: a second process inside a running container, in its namespaces,
// cgroups, seccomp profile and identity.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/base/sys.h"
#include "tests/priv/harness.h"

namespace ringc::test {

TEST_F(Priv, ExecJoinsTheContainer) {
  std::string c = id("exec");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
  Cmd r = ringc({"exec", c, "sh", "-c",
                 "echo $$; hostname; [ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] "
                 "&& echo same-cgroup; [ \"$(readlink /proc/self/ns/net)\" = \"$(readlink "
                 "/proc/1/ns/net)\" ] && echo same-net; grep -E '^(NoNewPrivs|CapBnd)' "
                 "/proc/self/status | tr -s '\\t' ' '; ls /proc/self/fd | tr '\\n' ' '; exit 7"});
  EXPECT_EQ(r.code, 7) << r.err;
  std::istringstream out(r.out);
  int pid = 0;
  out >> pid;
  EXPECT_GT(pid, 1);
  EXPECT_LT(pid, 100) << "a pid of the container's own pid namespace";
  std::string rest = r.out.substr(r.out.find('\n') + 1);
  EXPECT_EQ(rest,
            "ringc\nsame-cgroup\nsame-net\nCapBnd: 0000000020000420\nNoNewPrivs: 1\n0 1 2 3 ");
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

TEST_F(Priv, ExecFlagsAndProcessFile) {
  std::string c = id("execflags");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
  Cmd r = ringc({"exec", "-e", "FOO=bar", "--env", "TERM=dumb", "--cwd", "/tmp", "-u", "1000:1001",
                 "--cap", "CAP_CHOWN", c, "sh", "-c",
                 "echo $FOO $TERM; pwd; id -u; id -g; grep CapBnd /proc/self/status"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "bar dumb\n/tmp\n1000\n1001\nCapBnd:\t0000000020000421\n");
  std::string pfile = root_ + ".process.json";
  std::ofstream(pfile) << R"({"args": ["sh", "-c", "echo $A; pwd"], "env": ["A=from-file"],
                             "cwd": "/bin", "user": {"uid": 0, "gid": 0}})";
  r = ringc({"exec", "--process", pfile, c});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "from-file\n/bin\n");
  std::ofstream(pfile) << R"({"args": [], "cwd": "/"})";
  r = ringc({"exec", "--process", pfile, c});
  EXPECT_EQ(r.code, 255);  // a runtime failure, as runc
  EXPECT_EQ(r.err, "ringc: " + pfile + ": /process/args: must be a non-empty array of strings\n");
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

// -d returns once the program runs; --pid-file names it, and it is in the
// container's cgroup on the host.
TEST_F(Priv, ExecDetachedWithPidFile) {
  std::string c = id("execd");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
  std::string pidfile = root_ + ".exec.pid";
  Cmd r = ringc({"exec", "-d", "--pid-file", pidfile, c, "sleep", "30"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string pid = slurp(pidfile);
  ASSERT_FALSE(pid.empty());
  EXPECT_NE(slurp("/proc/" + pid + "/cgroup").find("/ringc/" + c), std::string::npos);
  Cmd ps = ringc({"ps", "--format", "json", c});
  EXPECT_NE(ps.out.find(pid), std::string::npos) << ps.out;
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
  wait_gone(std::atoi(pid.c_str()));
}

// The container's seccomp profile holds for exec'd processes too.
TEST_F(Priv, ExecUnderTheContainersSeccompProfile) {
  std::string c = id("execsec");
  std::string b = bundle({"sleep", "60"}, [](std::string& cfg) {
    replace(cfg, "\"linux\": {",
            "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
            "[{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", "
            "\"errnoRet\": 38}]},");
  });
  ASSERT_EQ(ringc({"run", "-d", "-b", b, c}).code, 0);
  Cmd r = ringc({"exec", c, "sh", "-c", "mkdir /dev/x 2>&1; grep Seccomp: /proc/self/status"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "mkdir: can't create directory '/dev/x': Function not implemented\nSeccomp:\t2\n");
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

TEST_F(Priv, ExecWithATerminal) {
  std::string c = id("exectty");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
  Cmd r = ringc({"exec", "-t", c, "sh", "-c", "tty; exit 4"});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(r.out, "/dev/pts/0\r\n");
  r = ringc({"exec", "-t", "-d", c, "true"});
  EXPECT_EQ(r.code, 255);  // a runtime failure, as runc
  EXPECT_EQ(r.err, "ringc: exec: --tty with --detach needs --console-socket\n");
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

TEST_F(Priv, ExecRefusals) {
  std::string c = id("execno");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
  Cmd r = ringc({"exec", c, "no-such-program"});
  EXPECT_EQ(r.code, 255);  // a runtime failure, as runc
  EXPECT_EQ(r.err,
            "ringc: exec: \"no-such-program\": executable file not found in $PATH: no such file or "
            "directory\n");
  // fds it was not handed are never passed (they would be ringc's own).
  r = ringc_with({"exec", "--preserve-fds", "2", c, "true"}, [] {
    ringc::sys::close_range(3, ~0u);  // with its fallback: tests run with close_range refused
  });
  EXPECT_EQ(r.code, 255);  // a runtime failure, as runc
  EXPECT_EQ(r.err, "ringc: exec: --preserve-fds: fd 3 is not open\n");
  ASSERT_EQ(ringc({"pause", c}).code, 0);
  r = ringc({"exec", c, "true"});
  EXPECT_EQ(r.code, 255);  // a runtime failure, as runc
  EXPECT_EQ(r.err, "ringc: cannot exec in paused container \"" + c +
                       "\" (use --ignore-paused to override)\n");
  ASSERT_EQ(ringc({"resume", c}).code, 0);
  ASSERT_EQ(ringc({"kill", c, "KILL"}).code, 0);
  Running w = ringc_async({"events", c});
  w.wait();
  r = ringc({"exec", c, "true"});
  EXPECT_EQ(r.code, 255);  // a runtime failure, as runc
  EXPECT_EQ(r.err, "ringc: cannot exec container \"" + c + "\" in state stopped\n");
  EXPECT_EQ(ringc({"delete", c}).code, 0);
}

// exec --ignore-paused (runc's): the process joins the frozen cgroup,
// frozen with the rest, and runs once the container is resumed; exec waits
// for it however long the pause lasts.
TEST_F(Priv, ExecIgnorePausedRunsOnResume) {
  std::string c = id("execfrozen");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
  ASSERT_EQ(ringc({"pause", c}).code, 0);
  Running r = ringc_async({"exec", "--ignore-paused", c, "sh", "-c", "echo ran; exit 3"});
  // Its setup process appears in the container's (frozen) cgroup.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  std::string pids;
  while (std::chrono::steady_clock::now() < deadline) {
    pids = ringc({"ps", "--format", "json", c}).out;
    if (std::count(pids.begin(), pids.end(), ',') >= 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_GE(std::count(pids.begin(), pids.end(), ','), 1) << pids;
  EXPECT_NE(ringc({"state", c}).out.find("\"paused\""), std::string::npos);
  ASSERT_EQ(ringc({"resume", c}).code, 0);
  EXPECT_EQ(r.read_line(), "ran");
  EXPECT_EQ(r.wait(), 3);
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

}  // namespace ringc::test
