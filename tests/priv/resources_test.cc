// linux.resources applied before the program runs, checked by effect and
// read back from the cgroup files (v1 controllers or v2 interface files).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cgroup/devices_bpf.h"
#include "cgroup/layout.h"
#include "cgroup/stats.h"
#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
std::function<void(std::string&)> with_resources(std::string json) {
  return
      [json](std::string& c) { replace(c, "\"resources\": {", "\"resources\": {" + json + ","); };
}

bool unified() {
  return cgroup::detect().value()->layout == cgroup::Layout::unified;
}
}  // namespace

TEST_F(Priv, ResourcesReadBack) {
  RINGC_NEED_CONTROLLERS("memory", "pids", "cpu", "cpuset");
  std::string b = bundle(
      {"sleep", "1000"},
      with_resources(
          "\"memory\": {\"limit\": 33554432, \"reservation\": 16777216},"
          "\"pids\": {\"limit\": 42},"
          "\"cpu\": {\"shares\": 512, \"quota\": 20000, \"period\": 100000, \"cpus\": \"0\"}"));
  std::string c = id("res");
  Cmd r = ringc({"create", "-b", b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(cg_file(c, "memory", "memory.limit_in_bytes", "memory.max"), "33554432");
  EXPECT_EQ(cg_file(c, "memory", "memory.soft_limit_in_bytes", "memory.low"), "16777216");
  EXPECT_EQ(cg_file(c, "pids", "pids.max", "pids.max"), "42");
  if (unified()) {
    EXPECT_EQ(cg_file(c, "cpu", "-", "cpu.weight"), "20");  // runc's conversion of 512
    EXPECT_EQ(cg_file(c, "cpu", "-", "cpu.max"), "20000 100000");
  } else {
    EXPECT_EQ(cg_file(c, "cpu", "cpu.shares", "-"), "512");
    EXPECT_EQ(cg_file(c, "cpu", "cpu.cfs_quota_us", "-"), "20000");
    EXPECT_EQ(cg_file(c, "cpu", "cpu.cfs_period_us", "-"), "100000");
  }
  EXPECT_EQ(cg_file(c, "cpuset", "cpuset.cpus", "cpuset.cpus"), "0");
  EXPECT_EQ(ringc({"delete", c}).code, 0);
}

TEST_F(Priv, BlockIoThrottlesReadBack) {
  RINGC_NEED_CONTROLLERS("io");
  // A real block device of this host ("MAJ:MIN" from /sys/block/*/dev).
  std::string dev;
  for (const char* name : {"vda", "sda", "nvme0n1", "xvda", "vdb"}) {
    std::ifstream in(std::string("/sys/block/") + name + "/dev");
    if (in >> dev) break;
  }
  if (dev.empty()) GTEST_SKIP() << "no block device found to throttle";
  std::string maj = dev.substr(0, dev.find(':')), min = dev.substr(dev.find(':') + 1);
  std::string rate = "{\"major\": " + maj + ", \"minor\": " + min + ", \"rate\": ";
  std::string b =
      bundle({"sleep", "1000"},
             with_resources("\"blockIO\": {\"throttleReadBpsDevice\": [" + rate +
                            "1048576}], \"throttleWriteIOPSDevice\": [" + rate + "300}]}"));
  std::string c = id("blkio");
  Cmd r = ringc({"create", "-b", b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  if (unified()) {
    EXPECT_EQ(cg_file(c, "blkio", "-", "io.max"),
              dev + " rbps=1048576 wbps=max riops=max wiops=300");
  } else {
    EXPECT_EQ(cg_file(c, "blkio", "blkio.throttle.read_bps_device", "-"), dev + " 1048576");
    EXPECT_EQ(cg_file(c, "blkio", "blkio.throttle.write_iops_device", "-"), dev + " 300");
  }
  EXPECT_EQ(ringc({"delete", c}).code, 0);
}

// Regression: on a fresh unified host the first container's parent cgroup
// was made after the controllers were enabled, so the leaf had no
// memory.max and create failed. A cgroupsPath under a new parent is that
// case on any host.
TEST_F(Priv, LimitsUnderAFreshParentCgroup) {
  RINGC_NEED_CONTROLLERS("memory", "pids");
  std::string parent = "/ringc-fresh-" + std::to_string(getpid());
  std::string c = id("fresh");
  std::string b = bundle({"sleep", "1000"}, [&](std::string& cfg) {
    with_resources("\"memory\": {\"limit\": 33554432}, \"pids\": {\"limit\": 11}")(cfg);
    replace(cfg, "\"namespaces\": [",
            "\"cgroupsPath\": \"" + parent + "/" + c + "\", \"namespaces\": [");
  });
  Cmd r = ringc({"create", "-b", b, c});
  EXPECT_EQ(r.code, 0) << r.err;
  auto host = cgroup::detect().value();
  auto file = [&](const char* ctrl, const char* v1, const char* v2) {
    const auto* h = host->v1(ctrl);
    std::ifstream in(h ? h->mount + parent + "/" + c + "/" + v1
                       : host->v2()->mount + parent + "/" + c + "/" + v2);
    std::string v;
    in >> v;
    return v;
  };
  EXPECT_EQ(file("memory", "memory.limit_in_bytes", "memory.max"), "33554432");
  EXPECT_EQ(file("pids", "pids.max", "pids.max"), "11");
  EXPECT_EQ(ringc({"delete", c}).code, 0);
  for (auto& h : host->hierarchies) rmdir((h.mount + parent).c_str());
}

// v1 cpuset: a parent that is there but was never filled in (made by
// hand: empty cpus and mems) is filled from its own parent, and the
// container's new directory from it, with balancing off, so the init can
// join. (The leaf is made first, the walk over the parents only after.)
TEST_F(Priv, AnEmptyParentCpusetIsFilledBeforeTheContainersJoin) {
  RINGC_NEED_CONTROLLERS("cpuset");
  auto host = cgroup::detect().value();
  const auto* h = host->v1("cpuset");
  if (!h) GTEST_SKIP() << "no v1 cpuset hierarchy in this view";
  std::string parent = "/ringc-emptyset-" + std::to_string(getpid());
  ASSERT_EQ(mkdir((h->mount + parent).c_str(), 0755), 0);
  ASSERT_EQ(slurp(h->mount + parent + "/cpuset.cpus"), "\n");  // nothing yet
  std::string c = id("emptyset");
  std::string b = bundle({"true"}, [&](std::string& cfg) {
    replace(cfg, "\"namespaces\": [",
            "\"cgroupsPath\": \"" + parent + "/" + c + "\", \"namespaces\": [");
  });
  Cmd r = ringc({"create", "-b", b, c});
  EXPECT_EQ(r.code, 0) << r.err;
  std::string dir = h->mount + parent + "/" + c;
  EXPECT_EQ(slurp(dir + "/cpuset.cpus"), slurp(h->mount + "/cpuset.cpus"));
  EXPECT_EQ(slurp(dir + "/cpuset.mems"), slurp(h->mount + "/cpuset.mems"));
  EXPECT_EQ(slurp(dir + "/cpuset.sched_load_balance"), "0\n");
  EXPECT_EQ(slurp(h->mount + parent + "/cpuset.cpus"), slurp(h->mount + "/cpuset.cpus"));
  EXPECT_EQ(ringc({"delete", "-f", c}).code, 0);
  for (auto& each : host->hierarchies) rmdir((each.mount + parent).c_str());
}

TEST_F(Priv, PidsLimitStopsAForkLoop) {
  RINGC_NEED_CONTROLLERS("pids");
  std::string b = bundle({"sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; echo done"},
                         with_resources("\"pids\": {\"limit\": 4}"));
  Cmd r = ringc({"run", "-b", b, id("pids")});
  EXPECT_NE(r.err.find("can't fork"), std::string::npos) << r.err;
}

TEST_F(Priv, MemoryLimitOomKills) {
  RINGC_NEED_CONTROLLERS("memory");
  // 16 MiB, no swap; the shell holds 64 MiB in a variable.
  std::string b =
      bundle({"sh", "-c", "x=$(head -c 67108864 /dev/zero | tr '\\0' a); echo survived"},
             with_resources("\"memory\": {\"limit\": 16777216, \"swap\": 16777216}"));
  Cmd r = ringc({"run", "-b", b, id("oom")});
  EXPECT_EQ(r.out, "") << "the allocation survived the limit";
  EXPECT_EQ(r.code, 137) << r.err;
  // Detached, nobody watching: the kill is still in the container's state.
  std::string c = id("oomd");
  ASSERT_EQ(ringc({"run", "-d", "-b", b, c}).code, 0);
  // events ends with the container; its output is read to the end (a
  // flood of lines once filled the pipe and blocked it: v1 notifies on
  // every failed charge, ringc now reports each kill once).
  Running w = ringc_async({"events", c});
  int ooms = 0, lines = 0;
  for (std::string l; !(l = w.read_line()).empty(); ++lines)
    ooms += l.find("\"type\":\"oom\"") != std::string::npos;
  w.wait();  // not running already, when the kill came first
  EXPECT_LE(ooms, 2) << "one event per kill (the kernel may take tr before sh)";
  EXPECT_LE(lines, 100);
  Cmd st = ringc({"state", c});
  EXPECT_NE(st.out.find("\"status\": \"stopped\""), std::string::npos) << st.out;
  // One kill, or two when the kernel took tr first and then sh.
  EXPECT_TRUE(st.out.find("\"oomKills\": 1") != std::string::npos ||
              st.out.find("\"oomKills\": 2") != std::string::npos)
      << st.out;
  EXPECT_EQ(ringc({"delete", c}).code, 0);
}

TEST_F(Priv, DeviceRulesAreEnforced) {
  // /dev/fuse (10:229) is made in both containers; only the one whose rules
  // allow it may open it. The default rule set denies everything else.
  auto dev = [](std::string& c) {
    replace(c, "\"maskedPaths\"",
            "\"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, "
            "\"minor\": 229, \"fileMode\": 438}], \"maskedPaths\"");
  };
  std::string denied = bundle({"sh", "-c", "head -c 0 /dev/fuse && echo opened"}, dev);
  Cmd r = ringc({"run", "-b", denied, id("devdeny")});
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
  std::string allowed =
      bundle({"sh", "-c", "head -c 0 /dev/fuse && echo opened"}, [&](std::string& c) {
        dev(c);
        replace(c, "{\n\t\t\t\t\t\"allow\": false,\n\t\t\t\t\t\"access\": \"rwm\"\n\t\t\t\t}",
                "{\"allow\": false, \"access\": \"rwm\"}, {\"allow\": true, \"type\": \"c\", "
                "\"major\": 10, "
                "\"minor\": 229, \"access\": \"rw\"}");
      });
  r = ringc({"run", "-b", allowed, id("devallow")});
  EXPECT_EQ(r.out, "opened\n") << r.err;
}

TEST_F(Priv, UpdateChangesLimitsLive) {
  RINGC_NEED_CONTROLLERS("memory", "pids", "cpu");
  std::string b = bundle({"sh", "-c", "echo ready; while :; do sleep 0.05; done"},
                         with_resources("\"pids\": {\"limit\": 100}"));
  std::string c = id("update");
  Running run = ringc_async({"run", "-b", b, c});
  ASSERT_EQ(run.read_line(), "ready");
  Cmd u = ringc({"update", "--memory", "64m", "--pids-limit", "10", "--cpu-shares", "256", c});
  ASSERT_EQ(u.code, 0) << u.err;
  EXPECT_EQ(cg_file(c, "memory", "memory.limit_in_bytes", "memory.max"), "67108864");
  EXPECT_EQ(cg_file(c, "pids", "pids.max", "pids.max"), "10");
  std::string file = root_ + ".resources.json";
  std::ofstream(file) << R"({"memory": {"limit": 33554432}, "pids": {"limit": 7}})";
  u = ringc({"update", "-r", file, c});
  ASSERT_EQ(u.code, 0) << u.err;
  EXPECT_EQ(cg_file(c, "memory", "memory.limit_in_bytes", "memory.max"), "33554432");
  EXPECT_EQ(cg_file(c, "pids", "pids.max", "pids.max"), "7");
  std::ofstream(file) << R"({"pids": {"limit": "few"}})";
  u = ringc({"update", "--resources=" + file, c});
  EXPECT_EQ(u.err, "ringc: " + file + ": /pids/limit: must be an integer\n");
  EXPECT_EQ(cg_file(c, "pids", "pids.max", "pids.max"), "7") << "a bad update changed something";
  std::remove(file.c_str());
  ASSERT_EQ(ringc({"kill", c, "KILL"}).code, 0);
  EXPECT_EQ(run.wait(), 128 + SIGKILL);
}

TEST_F(Priv, UpdateOfAStoppedContainerIsRefused) {
  std::string c = id("upstop");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"true"}), c}).code, 0);
  Cmd st = ringc({"state", c});
  wait_gone(std::atoi(st.out.c_str() + st.out.find("\"pid\": ") + 7));
  Cmd u = ringc({"update", "--pids-limit", "5", c});
  EXPECT_EQ(u.code, 1);
  EXPECT_EQ(u.err, "ringc: cannot update container \"" + c + "\" in state stopped\n");
  EXPECT_EQ(ringc({"delete", c}).code, 0);
}

TEST_F(Priv, EventsStatsJson) {
  RINGC_NEED_CONTROLLERS("memory", "pids");
  std::string c = id("stats");
  ASSERT_EQ(ringc({"run", "-d", "-b",
                   bundle({"sleep", "1000"}, with_resources("\"pids\": {\"limit\": 9}")), c})
                .code,
            0);
  Cmd s = ringc({"events", "--stats", c});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(s.out.rfind("{\"type\":\"stats\",\"id\":\"" + c + "\",\"data\":{\"cpu\":", 0), 0u)
      << s.out;
  EXPECT_NE(s.out.find("\"pids\":{\"current\":1,\"limit\":9}"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("\"memory\":{\"cache\":"), std::string::npos) << s.out;
  EXPECT_EQ(ringc({"delete", "-f", c}).code, 0);
}

// The stream reports an OOM kill as it happens (here of a subshell, so the
// container lives on) and ends when the container stops.
TEST_F(Priv, EventsStreamReportsOom) {
  RINGC_NEED_CONTROLLERS("memory");
  std::string b =
      bundle({"sh", "-c",
              "trap 'go=1' USR1; while [ -z \"$go\" ]; do sleep 0.05; done; "
              "(x=$(head -c 67108864 /dev/zero | tr '\\0' a)); while :; do sleep 0.05; done"},
             with_resources("\"memory\": {\"limit\": 16777216, \"swap\": 16777216}"));
  std::string c = id("oomev");
  ASSERT_EQ(ringc({"run", "-d", "-b", b, c}).code, 0);
  Running ev = ringc_async({"events", "--interval", "100ms", c});
  // The OOM watch is armed with the stats timer: a first stats line proves it.
  ASSERT_EQ(ev.read_line().rfind("{\"type\":\"stats\"", 0), 0u);
  ASSERT_EQ(ringc({"kill", c, "USR1"}).code, 0);
  std::string line;
  for (int i = 0; i < 300 && (line = ev.read_line()).starts_with("{\"type\":\"stats\""); ++i) {
  }
  EXPECT_EQ(line, "{\"type\":\"oom\",\"id\":\"" + c + "\"}");
  EXPECT_EQ(ringc({"delete", "-f", c}).code, 0);
  EXPECT_EQ(ev.wait(), 0);
}

TEST_F(Priv, BadResourceNamesTheField) {
  std::string b = bundle({"true"}, with_resources("\"memory\": {\"limit\": \"lots\"}"));
  Cmd r = ringc({"run", "-b", b, id("badres")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "ringc: " + b + "/config.json: /linux/resources/memory/limit: must be an integer\n");
}

}  // namespace ringc::test

namespace ringc::test {

// hugepageLimits (the v2 hierarchy's hugetlb on this hybrid host),
// kernelTCP, cpu idle, burst and the realtime period, read back; hugetlb
// usage in `events --stats`.
TEST_F(Priv, MoreResourcesReadBack) {
  RINGC_NEED_CONTROLLERS("memory", "cpu");
  auto host = cgroup::detect().value();
  bool hugetlb = host->v1("hugetlb") || host->v2();
  std::string c = id("res2");
  std::string b = bundle(
      {"sleep", "60"},
      with_resources(
          std::string(hugetlb
                          ? "\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}], "
                          : "") +
          "\"memory\": {\"kernelTCP\": 8388608}, \"cpu\": {\"idle\": 1, \"burst\": 1000, "
          "\"quota\": 50000, \"period\": 100000" +
          std::string(host->v1("cpu") ? ", \"realtimePeriod\": 500000, \"realtimeRuntime\": 0"
                                      : "") +
          "}"));
  Cmd r = ringc({"run", "-d", "-b", b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  if (hugetlb) {
    EXPECT_EQ(cg_file(c, "hugetlb", "hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.max"), "4194304");
  }
  if (host->v1("memory")) {
    EXPECT_EQ(cg_file(c, "memory", "memory.kmem.tcp.limit_in_bytes", ""), "8388608");
  }
  EXPECT_EQ(cg_file(c, "cpu", "cpu.idle", "cpu.idle"), "1");
  EXPECT_EQ(cg_file(c, "cpu", "cpu.cfs_burst_us", "cpu.max.burst"), "1000");
  if (host->v1("cpu")) {
    EXPECT_EQ(cg_file(c, "cpu", "cpu.rt_period_us", ""), "500000");
  }
  Cmd s = ringc({"events", "--stats", c});
  EXPECT_EQ(s.code, 0) << s.err;
  if (hugetlb) {  // every page size this host has (2MB, and 1GB where the CPU has it)
    std::vector<std::string> sizes = cgroup::hugepage_sizes();
    ASSERT_FALSE(sizes.empty());
    EXPECT_NE(s.out.find("\"hugetlb\":{\"" + sizes.front() + "\":"), std::string::npos) << s.out;
    for (const std::string& size : sizes)
      EXPECT_NE(s.out.find("\"" + size + "\":{\"usage\":0,"), std::string::npos) << s.out;
  }
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

// A limit whose controller this cgroup lacks fails the create, naming the
// controller (the pure-v2 view here has hugetlb alone), and leaves nothing.
TEST_F(Priv, ALimitWithoutItsControllerSaysWhich) {
  if (!missing_controller({"pids"})) GTEST_SKIP() << "this view of the host has pids";
  auto host = cgroup::detect().value();
  std::string b = bundle({"true"}, with_resources("\"pids\": {\"limit\": 9}"));
  // The init writes its v2 limits: its error reaches each way's caller.
  for (auto way : ways()) {
    std::string c = id("nopids");
    way.insert(way.end(), {"run", "-b", b, c});
    Cmd r = ringc(way);
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "ringc: set linux.resources: write " + host->v2()->mount + "/ringc/" + c +
                         "/pids.max: the pids controller is not available to this cgroup\n");
    EXPECT_FALSE(cgroup_exists(c)) << c;
  }
}

TEST_F(Priv, HugepageLimitsNeedAHugetlbController) {
  auto host = cgroup::detect().value();
  if (host->v1("hugetlb") || host->v2()) GTEST_SKIP() << "this view of the host has hugetlb";
  std::string b = bundle({"true"}, with_resources("\"hugepageLimits\": [{\"pageSize\": \"2MB\", "
                                                  "\"limit\": 4194304}]"));
  Cmd r = ringc({"run", "-b", b, id("nohugetlb")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("this host has no hugetlb controller"), std::string::npos) << r.err;
}

}  // namespace ringc::test

namespace ringc::test {

// The v2 device program, checked against the kernel on whichever cgroup2
// hierarchy this view has (on a hybrid host, the unified mount): a
// process in the cgroup may open what the rules allow and nothing else.
TEST_F(Priv, BpfDeviceProgramDecides) {
  auto host = cgroup::detect().value();
  const auto* v2 = host->v2();
  if (!v2) GTEST_SKIP() << "no cgroup2 hierarchy in this view of the host";
  std::string dir = v2->mount + "/ringc-bpf-test-" + std::to_string(getpid());
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << strerror(errno);
  std::vector<cgroup::DeviceRule> rules = {{false, 'a', -1, -1, "rwm"},
                                           {true, 'c', 1, -1, "r"},     // mem devices, read
                                           {true, 'c', 1, 3, "rw"},     // null: read and write
                                           {false, 'c', 1, 8, "rwm"}};  // but not random
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(cgroup::attach_device_program(fd, cgroup::device_program(rules)), 0);
  close(fd);
  pid_t pid = fork();
  if (pid == 0) {
    int procs = open((dir + "/cgroup.procs").c_str(), O_WRONLY);
    if (procs < 0 || write(procs, "0", 1) != 1) _exit(100);
    int bits = 0;
    auto opens = [](const char* path, int flags) {
      int f = open(path, flags);
      if (f >= 0) close(f);
      return f >= 0;
    };
    bits |= opens("/dev/null", O_RDWR) ? 1 : 0;      // allowed rw
    bits |= opens("/dev/zero", O_RDONLY) ? 2 : 0;    // allowed r
    bits |= opens("/dev/zero", O_WRONLY) ? 4 : 0;    // denied: w not in 1:* r
    bits |= opens("/dev/random", O_RDONLY) ? 8 : 0;  // denied by the last rule
    bits |= opens("/dev/tty", O_RDONLY) ? 16 : 0;    // denied: no rule allows 5:0
    _exit(bits);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  rmdir(dir.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1 | 2) << "bits: null rw, zero r, zero w, random, tty";
}

}  // namespace ringc::test
