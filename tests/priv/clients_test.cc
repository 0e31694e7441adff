// What Kubernetes (containerd's CRI plugin and runc shim) and podman
// depend on. Each test opens with the bug found running them beside runc.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdint>
#include <fstream>
#include <sstream>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
const char* kCapsCmd = "grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status | tr -s '\\t' ' '";

std::string caps_text(uint64_t inh, uint64_t prm, uint64_t eff, uint64_t bnd, uint64_t amb) {
  return fmt::format(
      "CapInh: {:016x}\nCapPrm: {:016x}\nCapEff: {:016x}\nCapBnd: {:016x}\n"
      "CapAmb: {:016x}\n",
      inh, prm, eff, bnd, amb);
}

// This process's bounding set: what a container that leaves the sets alone keeps.
uint64_t own_bounding() {
  std::istringstream in(slurp("/proc/self/status"));
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("CapBnd:")) return std::stoull(line.substr(7), nullptr, 16);
  return 0;
}

void set_caps(std::string& c, const std::string& object) {
  replace_span(c, "\"capabilities\": {", "\"rlimits\"", object);
}

std::string field_of(const std::string& state_json, const std::string& key) {
  size_t at = state_json.find("\"" + key + "\": ");
  if (at == std::string::npos) return "";
  at += key.size() + 4;
  return state_json.substr(at, state_json.find_first_of(",\n}", at) - at);
}

// A copy of the test rootfs this test may change.
std::string own_rootfs(const std::string& from, const std::string& to) {
  std::string cmd = "cp -a " + from + " " + to;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  return to;
}
}  // namespace

// containerd writes `"capabilities": {}` for drop ALL (the "restricted"
// profile). ringc left each missing set unset: the container kept the full
// bounding set, and a root process full permitted and effective sets. Now
// a present object makes a missing list empty; only an absent object
// leaves the sets alone. Read back inside, through every way of running.
TEST_F(Priv, MissingCapabilitySetsAreEmptyOnceTheObjectIsThere) {
  const uint64_t all = own_bounding(), kill = 1u << 5;
  struct Case {
    const char* name;
    std::string object;  // replaces the default's "capabilities" member
    std::string want;    // /proc/self/status, or "" when create must fail
  } cases[] = {
      {"absent", "", caps_text(0, all, all, all, 0)},
      {"empty", "\"capabilities\": {},\n", caps_text(0, 0, 0, 0, 0)},
      // With no_new_privs (the default's), execve grants nothing beyond
      // the permitted set it had: bounding alone leaves none.
      {"bounding", "\"capabilities\": {\"bounding\": [\"CAP_KILL\"]},\n",
       caps_text(0, 0, 0, kill, 0)},
      {"permitted", "\"capabilities\": {\"permitted\": [\"CAP_KILL\"]},\n",
       caps_text(0, 0, 0, 0, 0)},
      // Ambient needs permitted and inheritable: not raised, as under runc.
      {"ambient", "\"capabilities\": {\"ambient\": [\"CAP_KILL\"]},\n", caps_text(0, 0, 0, 0, 0)},
      {"all five",
       "\"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"], "
       "\"permitted\": [\"CAP_KILL\"], \"inheritable\": [\"CAP_KILL\"], \"ambient\": "
       "[\"CAP_KILL\"]},\n",
       caps_text(kill, kill, kill, kill, kill)},
      // The kernel refuses effective beyond permitted and inheritable
      // beyond bounding: create fails, as runc's does.
      {"effective", "\"capabilities\": {\"effective\": [\"CAP_KILL\"]},\n", ""},
      {"inheritable", "\"capabilities\": {\"inheritable\": [\"CAP_KILL\"]},\n", ""},
  };
  for (auto way : ways()) {
    for (auto& k : cases) {
      std::string b =
          bundle({"sh", "-c", kCapsCmd}, [&](std::string& c) { set_caps(c, k.object); });
      auto args = way;
      args.insert(args.end(), {"run", "-b", b, id("caps")});
      Cmd r = ringc(args);
      if (k.want.empty()) {
        EXPECT_NE(r.code, 0) << k.name << ": " << r.out;
        EXPECT_NE(r.err.find("capset: operation not permitted"), std::string::npos)
            << k.name << ": " << r.err;
        continue;
      }
      EXPECT_EQ(r.code, 0) << k.name << ": " << r.err;
      EXPECT_EQ(r.out, k.want) << k.name << (way.empty() ? " (CLI)" : " (daemon)");
    }
  }
}

// The same rule for exec: the container's process, flags laid over it,
// and a --process file as containerd and conmon pass one.
TEST_F(Priv, ExecCapabilitiesFollowTheSameRule) {
  std::string c = id("execcaps");
  ASSERT_EQ(ringc({"run", "-d", "-b",
                   bundle({"sleep", "60"},
                          [](std::string& t) { set_caps(t, "\"capabilities\": {},\n"); }),
                   c})
                .code,
            0);
  Cmd r = ringc({"exec", c, "sh", "-c", kCapsCmd});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, caps_text(0, 0, 0, 0, 0));
  std::string pfile = root_ + ".process.json";
  std::ofstream(pfile) << R"({"args": ["sh", "-c", ")" << kCapsCmd << R"("], "cwd": "/",
                             "user": {"uid": 0, "gid": 0}, "capabilities": {}})";
  r = ringc({"exec", "--process", pfile, c});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, caps_text(0, 0, 0, 0, 0));
  std::ofstream(pfile) << R"({"args": ["sh", "-c", ")" << kCapsCmd << R"("], "cwd": "/",
                             "user": {"uid": 0, "gid": 0},
                             "capabilities": {"bounding": ["CAP_KILL"], "permitted": ["CAP_KILL"]}})";
  r = ringc({"exec", "--process", pfile, c});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, caps_text(0, 1u << 5, 1u << 5, 1u << 5, 0));
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

// --no-pivot left the host's /proc in the container's mount namespace, so
// a process given CAP_SETFCAP could make a user namespace and mount a
// fresh, unmasked procfs (the kernel's mount_too_revealing passed). Every
// host mount is detached now, as after pivot_root.
TEST_F(Priv, NoPivotLeavesNoHostProcToReveal) {
  auto with_setfcap = [](std::string& c) {
    set_caps(c,
             "\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_SETFCAP\"], \"effective\": "
             "[\"CAP_KILL\", \"CAP_SETFCAP\"], \"permitted\": [\"CAP_KILL\", \"CAP_SETFCAP\"]},\n");
  };
  Cmd probe =
      ringc({"run", "-b", bundle({"unshare", "-mrpf", "sh", "-c", "echo in-userns"}, with_setfcap),
             id("userns-probe")});
  if (probe.out != "in-userns\n")
    GTEST_SKIP() << "user namespaces refused here: " << probe.out << probe.err;
  const std::string mount_proc =
      "unshare -mrpf sh -c 'mount -t proc none /proc && echo MOUNTED'; echo rc=$?";
  for (bool no_pivot : {true, false}) {
    std::vector<std::string> args = {"run", "-b", bundle({"sh", "-c", mount_proc}, with_setfcap)};
    if (no_pivot) args.push_back("--no-pivot");
    args.push_back(id("reveal"));
    Cmd r = ringc(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "rc=1\n") << (no_pivot ? "--no-pivot" : "pivot_root");
  }
}

// A rootfs whose /proc or /sys is a symlink was accepted: ringc resolved
// it inside the rootfs and mounted there. Refused now, as runc does since
// its CVE-2019-19921 and CVE-2023-27561 fixes, with nothing left behind.
TEST_F(Priv, ProcAndSysfsOnlyOnOrdinaryDirectories) {
  std::string rootfs = own_rootfs(rootfs_, root_ + ".rootfs");
  const std::string proc = rootfs + "/proc", sys = rootfs + "/sys";
  auto reset = [&] {
    for (auto& p : {proc, sys}) {
      ::unlink(p.c_str());
      ::rmdir(p.c_str());
      ::mkdir(p.c_str(), 0555);
    }
  };
  struct Case {
    const char* dest;
    std::function<void()> make;
  } cases[] = {
      {"/proc", [&] { ::rmdir(proc.c_str()), ::symlink("/tmp", proc.c_str()); }},
      {"/proc", [&] { ::rmdir(proc.c_str()), ::symlink("tmp", proc.c_str()); }},
      {"/proc", [&] { ::rmdir(proc.c_str()), std::ofstream{proc}; }},
      {"/sys", [&] { ::rmdir(sys.c_str()), ::symlink("/tmp", sys.c_str()); }},
  };
  for (auto way : ways()) {
    for (auto& k : cases) {
      reset();
      k.make();
      std::string b = bundle({"true"}, [&](std::string& c) { replace(c, rootfs_, rootfs); });
      auto args = way;
      args.insert(args.end(), {"run", "-b", b, id("symproc")});
      Cmd r = ringc(args);
      EXPECT_EQ(r.code, 1) << k.dest;
      const std::string fs = std::string(k.dest) == "/proc" ? "proc" : "sysfs";
      EXPECT_NE(r.err.find(fmt::format("mount {}: filesystem \"{}\" must be mounted on an ordinary "
                                       "directory",
                                       k.dest, fs)),
                std::string::npos)
          << r.err;
    }
  }
  reset();
}

// containerd's shim runs `kill --all ID 9` after every exit. ringc refused
// a stopped container ("cannot kill container in state stopped"), the shim
// retried for ever and the pod stayed running. Now it succeeds; a plain
// kill says runc's "container not running", which containerd matches.
TEST_F(Priv, KillAllOfAStoppedContainerSucceeds) {
  for (auto way : ways()) {
    auto cmd = [&](std::vector<std::string> a) { return ringc_via(way, std::move(a)); };
    std::string c = id("killall-stopped");
    ASSERT_EQ(cmd({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
    int pid = std::atoi(field_of(cmd({"state", c}).out, "pid").c_str());
    ASSERT_GT(pid, 0);
    ASSERT_EQ(cmd({"kill", c, "KILL"}).code, 0);
    if (way.empty())
      wait_gone(pid);
    else
      EXPECT_EQ(cmd({"wait", c}).code, 128 + 9);  // the daemon has recorded the exit
    EXPECT_EQ(field_of(cmd({"state", c}).out, "status"), "\"stopped\"");
    Cmd all = cmd({"kill", "--all", c, "9"});
    EXPECT_EQ(all.code, 0) << all.err;
    Cmd plain = cmd({"kill", c, "9"});
    EXPECT_EQ(plain.code, 1);
    EXPECT_EQ(plain.err, "ringc: cannot kill container \"" + c + "\": container not running\n");
    // With --log the last error goes to the log and to stderr, as runc's.
    std::string log = root_ + ".kill.log";
    Cmd logged = cmd({"--log", log, "--log-format", "json", "kill", c, "9"});
    EXPECT_EQ(logged.code, 1);
    EXPECT_EQ(logged.err, plain.err);
    EXPECT_NE(slurp(log).find("\"level\":\"error\",\"msg\":\"cannot kill container \\\"" + c +
                              "\\\": container not running\""),
              std::string::npos)
        << slurp(log);
    EXPECT_EQ(cmd({"delete", c}).code, 0);
  }
}

// containerd writes rootfsPropagation "rshared" for a Bidirectional
// mount: ringc made the rootfs shared before pivot_root, which refused it
// ("pivot_root: invalid argument"). Every propagation creates now, and a
// mount made inside a shared container under a Bidirectional bind
// appears on the host, while the container's own mounts do not.
TEST_F(Priv, RootfsPropagationAsRuncAppliesIt) {
  for (const char* p : {"shared", "rshared", "slave", "rslave", "private", "rprivate", "unbindable",
                        "runbindable"}) {
    std::string b = bundle({"true"}, [&](std::string& c) {
      replace(c, "\"linux\": {", fmt::format("\"linux\": {{\"rootfsPropagation\": \"{}\",", p));
    });
    Cmd r = ringc({"run", "-b", b, id("prop")});
    EXPECT_EQ(r.code, 0) << p << ": " << r.err;
  }
  // A volume the host shares, as the kubelet's are.
  std::string vol = root_ + ".vol";
  ASSERT_EQ(::mkdir(vol.c_str(), 0755), 0);
  ASSERT_EQ(::mount(vol.c_str(), vol.c_str(), nullptr, MS_BIND, nullptr), 0);
  struct Unmount {
    std::string path;
    ~Unmount() {
      ::umount2((path + "/sub").c_str(), MNT_DETACH);
      ::umount2(path.c_str(), MNT_DETACH);
    }
  } unmount{vol};
  ASSERT_EQ(::mount(nullptr, vol.c_str(), nullptr, MS_SHARED, nullptr), 0);
  ASSERT_EQ(::mkdir((vol + "/sub").c_str(), 0755), 0);
  std::string b =
      bundle({"sh", "-c", "mount -t tmpfs none /vol/sub && echo made"}, [&](std::string& c) {
        replace(c, "\"linux\": {", "\"linux\": {\"rootfsPropagation\": \"rshared\",");
        replace(c, "\"mounts\": [",
                "\"mounts\": [{\"destination\": \"/vol\", \"type\": \"bind\", \"source\": \"" +
                    vol + "\", \"options\": [\"rbind\", \"rshared\"]},");
        set_caps(c,
                 "\"capabilities\": {\"bounding\": [\"CAP_SYS_ADMIN\"], \"effective\": "
                 "[\"CAP_SYS_ADMIN\"], \"permitted\": [\"CAP_SYS_ADMIN\"]},\n");
      });
  Cmd r = ringc({"run", "-b", b, id("bidir")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "made\n");
  std::string mounts = slurp("/proc/self/mountinfo");
  EXPECT_NE(mounts.find(" " + vol + "/sub "), std::string::npos) << "the host sees the mount";
  EXPECT_EQ(mounts.find(rootfs_), std::string::npos) << "nor any of the container's own";
}

// podman --privileged writes each device's fileMode with its type bits
// (8630 = S_IFCHR|0666); ringc refused anything above 07777.
TEST_F(Priv, DeviceFileModeMayCarryItsType) {
  auto device = [](unsigned mode) {
    return [mode](std::string& c) {
      replace(c, "\"linux\": {",
              fmt::format("\"linux\": {{\"devices\": [{{\"path\": \"/dev/mydev\", \"type\": \"c\", "
                          "\"major\": 1, \"minor\": 3, \"fileMode\": {}}}],",
                          mode));
    };
  };
  Cmd r = ringc({"run", "-b", bundle({"stat", "-c", "%F %a %t:%T", "/dev/mydev"}, device(8630)),
                 id("devmode")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "character special file 666 1:3\n");
  std::string b = bundle({"true"}, device(060666));  // a block device's type bits
  r = ringc({"run", "-b", b, id("devmode")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: " + b +
                       "/config.json: /linux/devices/0/fileMode: has file type bits 60000 that "
                       "disagree with type \"c\"\n");
}

// podman --read-only mounts /run, /tmp and /var/tmp as tmpfs with runc's
// tmpcopyup option, which ringc passed to mount(2) ("mount /run: invalid
// argument"). The tmpfs now starts with a copy of what it covers.
TEST_F(Priv, TmpCopyUpKeepsWhatTheTmpfsCovers) {
  std::string rootfs = own_rootfs(rootfs_, root_ + ".rootfs");
  ASSERT_EQ(std::system(("mkdir -p " + rootfs + "/run/sub && echo hello > " + rootfs +
                         "/run/sub/f && chown 1000:1001 " + rootfs + "/run/sub/f && chmod 0604 " +
                         rootfs + "/run/sub/f && ln -s sub/f " + rootfs + "/run/l && chmod 0711 " +
                         rootfs + "/run && mkfifo " + rootfs + "/run/p")
                            .c_str()),
            0);
  std::string b = bundle(
      {"sh", "-c",
       "cat /run/sub/f; stat -c '%a %u:%g' /run /run/sub/f; readlink /run/l; stat -c %F /run/p; "
       "touch /run/new && echo writable; touch /x 2>/dev/null || echo root-read-only; "
       "grep -c ' /run tmpfs' /proc/mounts"},
      [&](std::string& c) {
        replace(c, rootfs_, rootfs);
        replace(c, "\t\t{\n\t\t\t\"destination\": \"/sys\",",
                "\t\t{\"destination\": \"/run\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
                "\"options\": [\"rw\", \"rprivate\", \"nosuid\", \"nodev\", \"tmpcopyup\"]},\n"
                "\t\t{\n\t\t\t\"destination\": \"/sys\",");
      });
  Cmd r = ringc({"run", "-b", b, id("copyup")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "hello\n711 0:0\n604 1000:1001\nsub/f\nfifo\nwritable\nroot-read-only\n1\n");
  struct stat st;
  EXPECT_NE(::stat((rootfs + "/run/new").c_str(), &st), 0) << "written to the image, not the tmpfs";
  // An option that is neither a flag ringc knows nor the filesystem's.
  b = bundle({"true"}, [&](std::string& c) {
    replace(c, "\t\t{\n\t\t\t\"destination\": \"/sys\",",
            "\t\t{\"destination\": \"/run\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
            "\"options\": [\"nosuid\", \"bogus\"]},\n\t\t{\n\t\t\t\"destination\": \"/sys\",");
  });
  r = ringc({"run", "-b", b, id("badopt")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("mount /run: tmpfs refused the options \"bogus\""), std::string::npos)
      << r.err;
}

// On a hybrid host ringc froze through the unified mount's cgroup.freeze,
// leaving the v1 freezer THAWED: podman, containerd and cAdvisor read
// freezer.state. Where a v1 freezer is mounted it is the one used.
TEST_F(Priv, PauseIsWhatTheHostsFreezerSays) {
  auto host_says = [](const std::string& c) {
    std::string v1 = "/sys/fs/cgroup/freezer/ringc/" + c + "/freezer.state";
    struct stat st;
    if (::stat(v1.c_str(), &st) == 0) return slurp(v1);
    return slurp("/sys/fs/cgroup/ringc/" + c + "/cgroup.freeze") == "1\n" ? std::string("FROZEN\n")
                                                                          : std::string("THAWED\n");
  };
  for (auto way : ways()) {
    auto cmd = [&](std::vector<std::string> a) { return ringc_via(way, std::move(a)); };
    std::string c = id("freezer");
    ASSERT_EQ(cmd({"run", "-d", "-b", bundle({"sleep", "60"}), c}).code, 0);
    ASSERT_EQ(cmd({"pause", c}).code, 0);
    EXPECT_EQ(host_says(c), "FROZEN\n");
    EXPECT_EQ(field_of(cmd({"state", c}).out, "status"), "\"paused\"");
    ASSERT_EQ(cmd({"resume", c}).code, 0);
    EXPECT_EQ(host_says(c), "THAWED\n");
    EXPECT_EQ(field_of(cmd({"state", c}).out, "status"), "\"running\"");
    EXPECT_EQ(cmd({"delete", "--force", c}).code, 0);
  }
}

}  // namespace ringc::test
