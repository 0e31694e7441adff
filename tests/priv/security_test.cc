// Process and Linux settings proven from inside the container, and hostile
// bundles that must not reach the host.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
std::string status_lines(const std::string& keys) {
  return "grep -E '^(" + keys + "):' /proc/self/status | tr -s '\\t' ' '";
}
}  // namespace

TEST_F(Priv, CapabilitiesAndNoNewPrivs) {
  const std::string keys = "CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs";
  Cmd r = ringc({"run", "-b", bundle({"sh", "-c", status_lines(keys)}), id("caps")});
  ASSERT_EQ(r.code, 0) << r.err;
  // runc's defaults: AUDIT_WRITE (29), KILL (5), NET_BIND_SERVICE (10). As
  // under runc, root's execve makes permitted and effective the bounding
  // set, and the ambient set stays empty (it needs them inheritable).
  EXPECT_EQ(r.out,
            "CapInh: 0000000000000000\nCapPrm: 0000000020000420\nCapEff: 0000000020000420\n"
            "CapBnd: 0000000020000420\nCapAmb: 0000000000000000\nNoNewPrivs: 1\n");
  std::string b = bundle({"sh", "-c", status_lines(keys)}, [](std::string& c) {
    replace_span(c, "\"capabilities\": {", "\"rlimits\"",
                 "\"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\"], "
                 "\"effective\": [\"CAP_KILL\"], \"permitted\": [\"CAP_KILL\"], "
                 "\"inheritable\": [\"CAP_KILL\"], \"ambient\": [\"CAP_KILL\"]},\n");
    replace(c, "\"noNewPrivileges\": true", "\"noNewPrivileges\": false");
    replace(c, "\"uid\": 0", "\"uid\": 1000");
  });
  // A non-root user keeps across execve exactly its ambient set.
  r = ringc({"run", "-b", b, id("caps2")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "CapInh: 0000000000000020\nCapPrm: 0000000000000020\nCapEff: 0000000000000020\n"
            "CapBnd: 0000000000000021\nCapAmb: 0000000000000020\nNoNewPrivs: 0\n");
}

// Rlimits, umask and oomScoreAdj. This host's root lacks CAP_SYS_RESOURCE:
// a hard limit above ringc's own and a negative oomScoreAdj are refused
// by the kernel, and create says which.
TEST_F(Priv, RlimitsUmaskOomScoreAdj) {
  std::string b = bundle(
      {"sh", "-c", "ulimit -Sn; ulimit -Hn; umask; cat /proc/self/oom_score_adj"},
      [](std::string& c) {
        replace(c, "\"hard\": 1024,\n\t\t\t\t\"soft\": 1024", "\"hard\": 2000, \"soft\": 1000");
        replace(c, "\"uid\": 0", "\"uid\": 0, \"umask\": 23");
        replace(c, "\"noNewPrivileges\": true", "\"noNewPrivileges\": true, \"oomScoreAdj\": 500");
      });
  Cmd r = ringc({"run", "-b", b, id("limits")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1000\n2000\n0027\n500\n");
  b = bundle({"true"}, [](std::string& c) {
    replace(c, "\"noNewPrivileges\": true", "\"noNewPrivileges\": true, \"oomScoreAdj\": -500");
  });
  r = ringc({"run", "-b", b, id("negoom")});
  if (r.code != 0) {
    EXPECT_EQ(r.err, "ringc: set oomScoreAdj to -500: permission denied\n");
  }
}

TEST_F(Priv, SysctlsInTheContainersNamespaces) {
  std::string b = bundle({"sh", "-c", "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni"},
                         [](std::string& c) {
                           replace(c, "\"linux\": {",
                                   "\"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": \"1\", "
                                   "\"kernel/shmmni\": \"1234\"},");
                         });
  Cmd r = ringc({"run", "-b", b, id("sysctl")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n1234\n");
  b = bundle({"true"}, [](std::string& c) {
    replace(c, "\"linux\": {", "\"linux\": {\"sysctl\": {\"vm.swappiness\": \"1\"},");
  });
  r = ringc({"run", "-b", b, id("hostsysctl")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: " + b +
                       "/config.json: /linux/sysctl/vm.swappiness: is not in a namespace the "
                       "container can have: it would change the host\n");
}

// runc's default maskedPaths and readonlyPaths, and /proc/sys read-only.
TEST_F(Priv, MaskedAndReadOnlyPaths) {
  std::string b = bundle(
      {"sh", "-c",
       "cat /proc/kcore 2>/dev/null | wc -c; cat /proc/keys | wc -l; ls /sys/firmware | wc -l; "
       "echo x > /proc/sys/kernel/domainname 2>/dev/null || echo sys-ro; "
       "echo h > /proc/sysrq-trigger 2>/dev/null || echo sysrq-ro; "
       "grep -c ' /proc/bus ro,' /proc/self/mountinfo; ls -A /dev | grep -c ringc; "
       "for d in /proc/acpi /proc/scsi /sys/firmware; do [ -d $d ] || continue; "
       "ls -A $d | wc -l; touch $d/x 2>&1 | grep -c 'Read-only file system'; "
       "grep \" $d ro,\" /proc/self/mountinfo | grep -c tmpfs; done"},
      nullptr);
  Cmd r = ringc({"run", "-b", b, id("masked")});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string first = "0\n0\n0\nsys-ro\nsysrq-ro\n1\n0\n";
  EXPECT_EQ(r.out.substr(0, first.size()), first);
  // Each masked directory of the default list that exists here (one empty
  // directory, bound over the others): empty, a tmpfs, and a write is
  // refused as runc's tmpfs refuses it, EROFS (not ENOENT).
  std::string rest = r.out.substr(std::min(first.size(), r.out.size()));
  EXPECT_FALSE(rest.empty()) << r.out;
  for (size_t at = 0; at < rest.size(); at += 6) EXPECT_EQ(rest.substr(at, 6), "0\n1\n1\n") << rest;
}

// CVE-2024-21626's class: a cwd through /proc/self/fd/N (a directory fd
// the init might hold) is refused: cwd resolves inside the rootfs with no
// magic links.
TEST_F(Priv, CwdThroughAProcMagicLinkIsRefused) {
  for (std::string cwd : {"/proc/self/fd/3", "/proc/self/fd/5", "/proc/self/cwd", "/proc/1/root"}) {
    std::string b = bundle(
        {"pwd"}, [&](std::string& c) { replace(c, "\"cwd\": \"/\"", "\"cwd\": \"" + cwd + "\""); });
    Cmd r = ringc({"run", "-b", b, id("cwdfd")});
    EXPECT_EQ(r.code, 1) << cwd << ": ran in " << r.out;
    EXPECT_NE(r.err.find("cwd"), std::string::npos) << r.err;
  }
}

// A rootfs whose links climb out (`up -> ../../../..`, `abs -> /`) cannot
// send a mount or a device node to the host: each lands inside the rootfs.
TEST_F(Priv, HostileLinksStayInsideTheRootfs) {
  std::string rootfs = root_ + ".hostile";
  std::string host_dir = root_ + ".hostdir";
  ASSERT_EQ(std::system(("cp -a " + rootfs_ + " " + rootfs + " && ln -s ../../../../../.. " +
                         rootfs + "/up && ln -s / " + rootfs + "/abs")
                            .c_str()),
            0);
  std::string b =
      bundle({"sh", "-c", "ls -d /" + host_dir.substr(1) + "/m /" + host_dir.substr(1) + "/null2"},
             [&](std::string& c) {
               replace(c, "\"path\": \"" + rootfs_ + "\"", "\"path\": \"" + rootfs + "\"");
               replace(c, "\"mounts\": [",
                       "\"mounts\": [{\"destination\": \"/up" + host_dir +
                           "/m\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"},");
               replace(c, "\"linux\": {",
                       "\"linux\": {\"devices\": [{\"path\": \"/abs" + host_dir +
                           "/null2\", \"type\": \"c\", \"major\": 1, \"minor\": 3}],");
             });
  Cmd r = ringc({"run", "-b", b, id("hostile")});
  EXPECT_EQ(r.code, 0) << r.err;
  struct stat st;
  EXPECT_NE(stat(host_dir.c_str(), &st), 0) << "ringc made " << host_dir << " on the host";
  EXPECT_EQ(stat((rootfs + host_dir + "/m").c_str(), &st), 0) << "the mount point is inside";
  std::system(("rm -rf " + rootfs + " " + host_dir).c_str());
}

}  // namespace ringc::test

namespace ringc::test {

TEST_F(Priv, SchedulerIoPriorityPersonalityTimeOffsets) {
  std::string b =
      bundle({"sh", "-c",
              "grep -E '^(policy|prio) ' /proc/self/sched | tr -s ' :' ' '; ionice; uname -m; "
              "cut -d. -f1 /proc/uptime"},
             [](std::string& c) {
               replace(c, "\"noNewPrivileges\": true",
                       "\"noNewPrivileges\": true, \"scheduler\": {\"policy\": \"SCHED_BATCH\", "
                       "\"nice\": 5}, \"ioPriority\": {\"class\": \"IOPRIO_CLASS_IDLE\"}");
               replace(c, "\"linux\": {",
                       "\"linux\": {\"personality\": {\"domain\": \"LINUX32\"}, \"timeOffsets\": "
                       "{\"boottime\": {\"secs\": 1000000}},");
               replace(c, "\"namespaces\": [", "\"namespaces\": [{\"type\": \"time\"},");
             });
  Cmd r = ringc({"run", "-b", b, id("sched")});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream in(r.out);
  std::string policy, prio, io, arch;
  long uptime = 0;
  std::getline(in, policy);
  std::getline(in, prio);
  std::getline(in, io);
  std::getline(in, arch);
  in >> uptime;
  EXPECT_EQ(policy, "policy 3");  // SCHED_BATCH
  EXPECT_EQ(prio, "prio 125");    // 120 + nice 5
  EXPECT_EQ(io, "idle");
  EXPECT_EQ(arch, "i686");
  std::ifstream host("/proc/uptime");
  long host_uptime = 0;
  host >> host_uptime;
  EXPECT_GE(uptime, host_uptime + 1000000 - 5) << "boottime offset applied";
}

TEST_F(Priv, ApparmorProfileWithoutApparmorIsAnError) {
  std::ifstream enabled("/sys/module/apparmor/parameters/enabled");
  std::string on;
  if (enabled >> on && on == "Y") GTEST_SKIP() << "AppArmor is enabled on this host";
  std::string b = bundle({"true"}, [](std::string& c) {
    replace(c, "\"noNewPrivileges\": true",
            "\"noNewPrivileges\": true, \"apparmorProfile\": \"ringc-test\", \"selinuxLabel\": "
            "\"system_u:system_r:container_t:s0\"");
  });
  Cmd r = ringc({"run", "-b", b, id("aa")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(
      r.err,
      "ringc: process.apparmorProfile \"ringc-test\": AppArmor is not enabled on this host\n");
}

}  // namespace ringc::test
