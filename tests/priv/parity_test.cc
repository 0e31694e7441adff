// runc's behaviours that its clients and its own test suite depend on.
// Each test opens with what ringc did differently.
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
std::string status_of(const std::string& state_json) {
  size_t at = state_json.find("\"status\": \"");
  if (at == std::string::npos) return "";
  at += 11;
  return state_json.substr(at, state_json.find('"', at) - at);
}

// Hierarchy roots only: in the pure-v2 view /sys/fs/cgroup/ringc/ is a
// cgroup, not a hierarchy, and a directory made under it was left behind.
void mkdir_all_hierarchies(const std::string& rel) {
  std::system(fmt::format("for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do "
                          "mountpoint -q $h && [ -e $h/cgroup.procs ] && mkdir -p $h{}; "
                          "done 2>/dev/null",
                          rel)
                  .c_str());
}

void rmdir_all_hierarchies(const std::string& rel) {
  std::system(fmt::format("for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do "
                          "mountpoint -q $h && rmdir $h{} 2>/dev/null; done",
                          rel)
                  .c_str());
}
}  // namespace

// `kill ID 0` is how clients probe that a container lives; ringc refused
// signal 0 as unknown.
TEST_F(Priv, KillZeroIsALivenessProbe) {
  for (auto way : ways()) {
    auto cmd = [&](std::vector<std::string> a) { return ringc_via(way, std::move(a)); };
    std::string c = id("kill0");
    ASSERT_EQ(cmd({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
    Cmd r = cmd({"kill", c, "0"});
    EXPECT_EQ(r.code, 0) << r.err;
    Cmd st = cmd({"state", c});
    EXPECT_EQ(status_of(st.out), "running") << "signal 0 delivers nothing";
    pid_t pid = std::atoi(st.out.substr(st.out.find("\"pid\": ") + 7).c_str());
    ASSERT_EQ(cmd({"kill", c, "KILL"}).code, 0);
    if (way.empty()) {
      wait_gone(pid);
    } else {
      EXPECT_EQ(cmd({"wait", c}).code, 128 + SIGKILL);  // the daemon has recorded the exit
    }
    r = cmd({"kill", c, "0"});
    EXPECT_EQ(r.code, 1);
    EXPECT_EQ(r.err, "ringc: cannot kill container \"" + c + "\": container not running\n");
    EXPECT_EQ(cmd({"delete", c}).code, 0);
  }
}

// process.cwd was entered after the capabilities were dropped, so uid 0
// without CAP_DAC_OVERRIDE could not start in a 0700 directory of another
// user ("chdir: permission denied"). runc enters it first, and again as
// the process's user when that first try is refused.
TEST_F(Priv, CwdIsEnteredBeforeCapabilitiesAreDropped) {
  std::string rootfs = root_ + ".rootfs";
  ASSERT_EQ(std::system(("cp -a " + rootfs_ + " " + rootfs + " && mkdir -p " + rootfs +
                         "/home/u && chown 1000:1000 " + rootfs + "/home/u && chmod 0700 " +
                         rootfs + "/home/u")
                            .c_str()),
            0);
  for (const char* user : {"\"uid\": 0", "\"uid\": 1000"}) {
    std::string b = bundle({"pwd"}, [&](std::string& c) {
      replace(c, rootfs_, rootfs);
      replace(c, "\"cwd\": \"/\"", "\"cwd\": \"/home/u\"");
      replace(c, "\"uid\": 0", user);
    });
    Cmd r = ringc({"run", "-b", b, id("cwd")});
    EXPECT_EQ(r.code, 0) << user << ": " << r.err;
    EXPECT_EQ(r.out, "/home/u\n") << user;
  }
}

// The pty went to the process's uid and gid; runc leaves the group as
// devpts' gid=5 (tty), which is what `mesg` and `write` expect.
TEST_F(Priv, TerminalIsOwnedByTheUserInTheTtyGroup) {
  std::string b = bundle({"sh", "-c", "stat -c '%u:%g' $(tty)"}, [](std::string& c) {
    replace(c, "\"terminal\": false", "\"terminal\": true");
    replace(c, "\"uid\": 0,\n\t\t\t\"gid\": 0", "\"uid\": 1000,\n\t\t\t\"gid\": 1000");
  });
  Cmd r = ringc({"run", "-b", b, id("ptyowner")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1000:5\r\n");
}

// A container whose cgroup was already frozen was created: the init
// joined it and froze, ringc waited 60 s, and the frozen init kept the
// caller's stdout open. runc refuses it at create; a cgroup that holds
// processes is a warning.
TEST_F(Priv, AFrozenCgroupIsRefusedAtCreate) {
  for (auto way : ways()) {
    std::string c = id("frozen");
    std::string rel = "/ringc/" + c;
    mkdir_all_hierarchies(rel);
    std::string v1 = "/sys/fs/cgroup/freezer" + rel + "/freezer.state";
    struct stat st;
    bool have_v1 = ::stat(v1.c_str(), &st) == 0;
    std::ofstream(have_v1 ? v1 : "/sys/fs/cgroup" + rel + "/cgroup.freeze")
        << (have_v1 ? "FROZEN" : "1");
    auto args = way;
    args.insert(args.end(), {"run", "-d", "-b", bundle({"sleep", "60"}), c});
    Cmd r = ringc(args);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("container's cgroup unexpectedly frozen (" + rel + ")"), std::string::npos)
        << r.err;
    std::ofstream(have_v1 ? v1 : "/sys/fs/cgroup" + rel + "/cgroup.freeze")
        << (have_v1 ? "THAWED" : "0");
    rmdir_all_hierarchies(rel);
  }
}

TEST_F(Priv, ACgroupWithProcessesIsAWarning) {
  std::string c = id("nonempty");
  std::string rel = "/ringc/" + c;
  mkdir_all_hierarchies(rel);
  // A process of the test's own, placed where ringc reads a cgroup's pids.
  pid_t stray = fork();
  if (stray == 0) {
    ::pause();
    _exit(0);
  }
  std::string procs = std::system("test -e /sys/fs/cgroup/unified/cgroup.procs") == 0
                          ? "/sys/fs/cgroup/unified" + rel + "/cgroup.procs"
                          : (std::system("test -e /sys/fs/cgroup/cgroup.procs") == 0
                                 ? "/sys/fs/cgroup" + rel + "/cgroup.procs"
                                 : "/sys/fs/cgroup/pids" + rel + "/cgroup.procs");
  std::ofstream(procs) << stray;
  Cmd r = ringc({"run", "-d", "-b", bundle({"sleep", "60"}), c});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err,
            "ringc: warning: container's cgroup " + rel + " is not empty: 1 process(es) found\n");
  ::kill(stray, SIGKILL);
  wait_gone(stray);
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

// delete --force failed with EBUSY on a container whose cgroup had
// sub-cgroups (made by a runtime or agent inside it) and left it in
// `deleting`. They go now, deepest first, what is in them killed.
TEST_F(Priv, DeleteForceRemovesSubCgroups) {
  for (auto way : ways()) {
    auto cmd = [&](std::vector<std::string> a) { return ringc_via(way, std::move(a)); };
    std::string c = id("subcg");
    ASSERT_EQ(cmd({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
    std::string rel = "/ringc/" + c;
    mkdir_all_hierarchies(rel + "/sub/deeper");
    pid_t stray = fork();
    if (stray == 0) {
      ::pause();
      _exit(0);
    }
    for (const char* h : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup", "/sys/fs/cgroup/pids"})
      std::ofstream(std::string(h) + rel + "/sub/deeper/cgroup.procs") << stray;
    Cmd d = cmd({"delete", "--force", c});
    EXPECT_EQ(d.code, 0) << d.err;
    wait_gone(stray);
    EXPECT_FALSE(alive(stray)) << "what was in the sub-cgroup is killed";
    int status = 0;
    ::waitpid(stray, &status, 0);
    EXPECT_FALSE(cgroup_exists(c));
  }
}

// Commands answered -h with "unknown flag"; runc's clients and its test
// suite call `runc CMD --help`. Every command answers from the flag table.
TEST_F(Priv, EveryCommandAnswersHelp) {
  Cmd top = ringc({"--help"});
  ASSERT_EQ(top.code, 0);
  size_t at = top.out.find("commands:\n");
  ASSERT_NE(at, std::string::npos) << top.out;
  std::istringstream lines(top.out.substr(at + 10));
  int seen = 0;
  for (std::string line; std::getline(lines, line) && line.starts_with("   ");) {
    std::string cmd = line.substr(3, line.find(' ', 3) - 3);
    if (cmd == "help") continue;
    Cmd h = ringc({cmd, "--help"});
    EXPECT_EQ(h.code, 0) << cmd << ": " << h.err;
    EXPECT_EQ(h.out.rfind("ringc " + cmd + ": ", 0), 0u) << h.out;
    EXPECT_EQ(ringc({"help", cmd}).out, h.out) << cmd;
    EXPECT_EQ(ringc({cmd, "-h"}).out, h.out) << cmd;
    std::istringstream opts(h.out);
    for (std::string o; std::getline(opts, o);)
      if (o.starts_with("   --")) {
        EXPECT_GT(o.size(), 32u) << cmd << ": no description: " << o;
      }
    ++seen;
  }
  EXPECT_GE(seen, 20);
  Cmd bad = ringc({"help", "no-such"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.err, "ringc: unknown command \"no-such\" (try ringc --help)\n");
}

// resources.unified on a v1 or hybrid host was half-applied into the
// hybrid mount, and network limits without net_cls or net_prio were
// ignored. Both are refused before anything is made, naming the field.
TEST_F(Priv, ResourcesTheHostCannotCarryAreRefused) {
  auto host = std::system("test -e /sys/fs/cgroup/cgroup.procs") == 0;  // pure v2 view
  std::string b = bundle({"true"}, [](std::string& c) {
    replace(c, "\"resources\": {",
            "\"resources\": {\"unified\": {\"cgroup.max.descendants\": \"10\"},");
  });
  Cmd r = ringc({"run", "-b", b, id("unified")});
  if (host) {
    EXPECT_EQ(r.code, 0) << r.err;
  } else {
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("/config.json: /linux/resources/unified: needs a cgroup v2 host"),
              std::string::npos)
        << r.err;
  }
  b = bundle({"true"}, [](std::string& c) {
    replace(c, "\"resources\": {", "\"resources\": {\"network\": {\"classID\": 1048577},");
  });
  r = ringc({"run", "-b", b, id("netcls")});
  if (std::system("test -e /sys/fs/cgroup/net_cls/net_cls.classid") == 0) {
    EXPECT_EQ(r.code, 0) << r.err;
  } else {
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("/linux/resources/network/classID: this host has no net_cls controller"),
              std::string::npos)
        << r.err;
  }
}

// A /dev tmpfs mounted "ro" failed create ("create /dev/pts: read-only
// file system"): it is populated first and made read-only last.
TEST_F(Priv, ReadOnlyDevIsPopulatedFirst) {
  std::string b =
      bundle({"sh", "-c",
              "ls /dev/null /dev/pts/ptmx >/dev/null && grep -c ' /dev tmpfs ro' /proc/mounts; "
              "touch /dev/x 2>/dev/null || echo refused"},
             [](std::string& c) { replace(c, "\"strictatime\",", "\"strictatime\", \"ro\","); });
  Cmd r = ringc({"run", "-b", b, id("devro")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1\nrefused\n");
}

// update on v1 wrote memory before memsw, so raising both failed (the
// kernel keeps memsw at least memory); runc orders them by direction.
// runc's flag names: --cpu-share (--cpu-shares kept), --cpu-rt-period and
// --cpu-rt-runtime.
TEST_F(Priv, UpdateOrdersMemoryAndSwapAsRunc) {
  if (std::system("test -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") != 0)
    GTEST_SKIP() << "no v1 memory controller with swap accounting in this view";
  std::string c = id("memsw");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
  std::string d = "/sys/fs/cgroup/memory/ringc/" + c + "/";
  for (auto [mem, swap] : {std::pair{"64m", "128m"}, {"256m", "512m"}, {"32m", "48m"}}) {
    Cmd r = ringc({"update", "--memory", mem, "--memory-swap", swap, c});
    EXPECT_EQ(r.code, 0) << mem << "/" << swap << ": " << r.err;
  }
  EXPECT_EQ(slurp(d + "memory.limit_in_bytes"), "33554432\n");
  EXPECT_EQ(slurp(d + "memory.memsw.limit_in_bytes"), "50331648\n");
  Cmd r = ringc({"update", "--cpu-share", "512", c});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(slurp("/sys/fs/cgroup/cpu/ringc/" + c + "/cpu.shares"), "512\n");
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

// runc's rro family (rro, rnosuid, ...) reached mount(2) as data and
// failed; they now go to mount_setattr with AT_RECURSIVE, so a bind's
// submounts are read-only too.
TEST_F(Priv, RecursiveMountOptionsCoverSubmounts) {
  std::string src = root_ + ".rro";
  ASSERT_EQ(
      std::system(("mkdir -p " + src + "/sub && mount -t tmpfs none " + src + "/sub").c_str()), 0);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{src + "/sub"};
  std::string b = bundle(
      {"sh", "-c",
       "touch /data/a 2>/dev/null || echo a-ro; touch /data/sub/b 2>/dev/null || echo b-ro; "
       "grep ' /data' /proc/self/mountinfo | cut -d' ' -f5,6"},
      [&](std::string& c) {
        replace(c, "\"mounts\": [",
                "\"mounts\": [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"" +
                    src + "\", \"options\": [\"rbind\", \"rro\", \"rnosuid\"]},");
      });
  Cmd r = ringc({"run", "-b", b, id("rro")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "a-ro\nb-ro\n/data ro,nosuid,relatime\n/data/sub ro,nosuid,relatime\n");
}

// `exec --cgroup` was not there: runc runs the process in a sub-cgroup of
// the container's ("path", or v1's "controller:path"), refusing one
// outside it.
TEST_F(Priv, ExecIntoASubCgroup) {
  std::string c = id("execcg");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
  std::string rel = "/ringc/" + c;
  mkdir_all_hierarchies(rel + "/sub");
  std::system(fmt::format("d=/sys/fs/cgroup/cpuset{}; [ -d $d/sub ] && cat $d/cpuset.cpus > "
                          "$d/sub/cpuset.cpus && cat $d/cpuset.mems > $d/sub/cpuset.mems",
                          rel)
                  .c_str());
  Cmd r = ringc({"exec", "--cgroup", "sub", c, "sh", "-c", "grep -c /sub /proc/self/cgroup"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out, "0\n");
  if (std::system("test -d /sys/fs/cgroup/pids -a ! -e /sys/fs/cgroup/cgroup.procs") == 0) {
    r = ringc(
        {"exec", "--cgroup", "pids:sub", c, "sh", "-c", "grep -E ':pids:' /proc/self/cgroup"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find(":pids:/sub"), std::string::npos) << r.out;
  }
  for (const char* bad : {"../x", "/abs", "sub/../.."}) {
    r = ringc({"exec", "--cgroup", bad, c, "true"});
    EXPECT_EQ(r.code, 255) << bad;
    EXPECT_EQ(r.err, fmt::format("ringc: exec: --cgroup: \"{}\" is not a path inside the "
                                 "container's cgroup\n",
                                 bad));
  }
  r = ringc({"exec", "--cgroup", "missing", c, "true"});
  EXPECT_EQ(r.code, 255);
  EXPECT_NE(r.err.find("missing: no such file or directory"), std::string::npos) << r.err;
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

}  // namespace ringc::test
