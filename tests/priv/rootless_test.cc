// A rootless ringc: run by an unprivileged user (a uid with no passwd
// entry here) on a config from `ringc spec --rootless`, with the state
// under $XDG_RUNTIME_DIR/ringc; cgroups in a subtree delegated to the
// user, none without one, as runc runs it.
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup/files.h"
#include "cgroup/layout.h"
#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
constexpr uid_t kUser = 54321;
}  // namespace

class Rootless : public Priv {
 protected:
  void SetUp() override {
    Priv::SetUp();
    home_ = root_ + ".rootless";
    xdg_ = home_ + "/xdg";
    bundle_ = home_ + "/bundle";
    for (auto& d : {home_, xdg_, bundle_}) {
      ASSERT_EQ(::mkdir(d.c_str(), 0700), 0) << d;
      ASSERT_EQ(::chown(d.c_str(), kUser, kUser), 0) << d;
    }
    ASSERT_EQ(::symlink(rootfs_.c_str(), (bundle_ + "/rootfs").c_str()), 0);
    Cmd r = as_user({"spec", "--rootless"});
    ASSERT_EQ(r.code, 0) << r.err;
    std::string c = slurp(bundle_ + "/config.json");
    replace(c, "\"terminal\": true", "\"terminal\": false");
    write_config(c);
  }
  void TearDown() override {
    as_user({"delete", "--force", "rl"});
    std::system(("rm -rf " + home_).c_str());
    for (auto& h : hierarchies())
      for (const char* sub : {"/ctl", ""}) ::rmdir((h.mount + delegated_ + sub).c_str());
    Priv::TearDown();
  }
  static std::vector<cgroup::Hierarchy> hierarchies() {
    auto host = cgroup::detect();
    return host ? host.value()->hierarchies : std::vector<cgroup::Hierarchy>{};
  }
  // A subtree of every hierarchy delegated to kUser as runc's tests make
  // one (the directory, its cgroup.procs, tasks and subtree_control), with
  // a leaf `ctl` that as_user's ringc runs in: the kernel lets a process
  // move another into a v2 cgroup only through the cgroup.procs of the
  // cgroup both are under, as systemd's user@.service has it.
  void delegate() {
    delegated_ = "/ringc-rl-" + std::to_string(::getpid());
    for (auto& h : hierarchies()) {
      std::string dir = h.mount + delegated_;
      for (const std::string& d : {dir, dir + "/ctl"}) {
        ASSERT_EQ(::mkdir(d.c_str(), 0755), 0) << d;
        if (h.controllers.find("cpuset") == std::string::npos) continue;
        for (const char* f : {"/cpuset.cpus", "/cpuset.mems"})
          cgroup::write_text(d + f, cgroup::read_text(h.mount + f));
      }
      for (const char* f : {"", "/cgroup.procs", "/tasks", "/cgroup.subtree_control"})
        if (::chown((dir + f).c_str(), kUser, kUser) < 0) {
          ASSERT_EQ(errno, ENOENT) << dir + f;
        }
    }
  }
  // ringc as kUser in the bundle directory, with its own XDG_RUNTIME_DIR
  // (so the default --root), stdout and stderr to files.
  Cmd as_user(std::vector<std::string> args) {
    args.insert(args.begin(), ringc_bin());
    std::string out = home_ + ".out", err = home_ + ".err";
    pid_t pid = ::fork();
    if (pid == 0) {
      int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int n = ::open("/dev/null", O_RDONLY);
      ::dup2(n, 0);
      ::dup2(o, 1);
      ::dup2(e, 2);
      ::setenv("XDG_RUNTIME_DIR", xdg_.c_str(), 1);
      if (!delegated_.empty())
        for (auto& h : hierarchies())
          if (cgroup::write_text(h.mount + delegated_ + "/ctl/cgroup.procs", "0") < 0) ::_exit(125);
      if (::chdir(bundle_.c_str()) < 0 || ::setgroups(0, nullptr) < 0 ||
          ::setresgid(kUser, kUser, kUser) < 0 || ::setresuid(kUser, kUser, kUser) < 0)
        ::_exit(126);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    Cmd c;
    c.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    c.out = slurp(out);
    c.err = slurp(err);
    return c;
  }
  // config.json's process.args replaced.
  void args(const std::string& json_args) {
    std::string c = slurp(bundle_ + "/config.json");
    replace_span(c, "\"args\": [", "]", "\"args\": [" + json_args);
    write_config(c);
  }
  void write_config(const std::string& c) {
    FILE* f = std::fopen((bundle_ + "/config.json").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(c.c_str(), f);
    std::fclose(f);
  }
  // config.json's linux object with `json` added at its start.
  void linux_add(const std::string& json) {
    std::string c = slurp(bundle_ + "/config.json");
    replace(c, "\"linux\": {", "\"linux\": {" + json + ",");
    write_config(c);
  }
  std::string home_, xdg_, bundle_, delegated_;
};

// Root inside, the caller outside (its uid mapped alone), /sys bound,
// no network namespace of its own; the state under $XDG_RUNTIME_DIR/ringc.
TEST_F(Rootless, AnUnprivilegedUserRunsTheRootlessSpec) {
  args(R"("sh", "-c", "id -u; id -g; cat /proc/self/uid_map | tr -s ' '; )"
       R"(ls /sys/kernel >/dev/null && echo sys; ls /proc/1/ns/net >/dev/null && echo proc")");
  Cmd r = as_user({"run", "rl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n0\n 0 " + std::to_string(kUser) + " 1\nsys\nproc\n");
  struct stat st;
  EXPECT_EQ(::stat((xdg_ + "/ringc").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kUser);
  EXPECT_FALSE(cgroup_exists("rl"));
}

// The lifecycle without cgroups: run -d, exec, ps (the init's pid
// namespace), kill, delete; pause needs a cgroup and says so.
TEST_F(Rootless, TheLifecycleWithoutCgroups) {
  args(R"("sleep", "100")");
  ASSERT_EQ(as_user({"run", "-d", "rl"}).code, 0);
  Cmd r = as_user({"exec", "rl", "sh", "-c", "id -u; echo in"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0\nin\n");
  r = as_user({"ps", "--format", "json", "rl"});
  EXPECT_EQ(r.code, 0) << r.err;
  Cmd st = as_user({"state", "rl"});
  std::string pid = st.out.substr(st.out.find("\"pid\": ") + 7);
  pid = pid.substr(0, pid.find(','));
  EXPECT_EQ(r.out, "[" + pid + "]\n") << st.out;
  r = as_user({"pause", "rl"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("pause: the container has no cgroup to freeze"), std::string::npos) << r.err;
  EXPECT_NE(as_user({"state", "rl"}).out.find("\"status\": \"running\""), std::string::npos);
  EXPECT_EQ(as_user({"kill", "rl", "KILL"}).code, 0);
  wait_gone(std::atoi(pid.c_str()));
  EXPECT_EQ(as_user({"delete", "rl"}).code, 0) << as_user({"state", "rl"}).out;
  EXPECT_EQ(as_user({"list", "-q"}).out, "");
}

// What a rootless ringc cannot do is refused by name, leaving nothing:
// limits (no cgroup to write), a map of ids that are not the caller's
// without newuidmap, id-mapped mounts.
TEST_F(Rootless, WhatNeedsPrivilegeIsRefusedByName) {
  std::string base = slurp(bundle_ + "/config.json");
  std::string c = base;
  replace(c, "\"linux\": {", "\"linux\": {\"resources\": {\"pids\": {\"limit\": 10}},");
  write_config(c);
  Cmd r = as_user({"run", "rl"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/linux/resources: rootless needs no limits + no cgrouppath when no "
                       "permission is granted for cgroups"),
            std::string::npos)
      << r.err;
  c = base;
  replace(c, "\"size\": 1", "\"size\": 2");
  write_config(c);
  r = as_user({"run", "rl"});
  EXPECT_EQ(r.code, 1);
  if (::access("/usr/bin/newuidmap", X_OK) != 0)
    EXPECT_NE(r.err.find("linux.uidMappings: a rootless map beyond your own id needs newuidmap"),
              std::string::npos)
        << r.err;
  else
    EXPECT_NE(r.err.find("newuidmap refused the map"), std::string::npos) << r.err;
  c = base;
  replace(c, "\"mounts\": [",
          "\"mounts\": [{\"destination\": \"/tmp\", \"type\": \"bind\", \"source\": \"" + home_ +
              "\", \"options\": [\"rbind\", \"idmap\"]},");
  write_config(c);
  r = as_user({"run", "rl"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("id-mapped mounts are not supported for rootless containers"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(as_user({"list", "-q"}).out, "");
}

// runc's "rootless + no limits + cgrouppath + no permission": a cgroup the
// config names is not skipped; the error names the field and what the
// user may not write, and nothing is left.
TEST_F(Rootless, ACgroupsPathWithoutPermissionIsRefused) {
  if (hierarchies().empty()) GTEST_SKIP() << "no cgroup hierarchy mounted";
  linux_add(R"("cgroupsPath": "/ringc-rl-none/c1")");
  Cmd r = as_user({"run", "rl"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/linux/cgroupsPath: applying cgroup configuration for /ringc-rl-none/c1 "
                       "as uid 54321: "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(": permission denied"), std::string::npos) << r.err;
  EXPECT_EQ(as_user({"list", "-q"}).out, "");
}

// runc's "limits + cgrouppath + permission on the cgroup dir": in a
// subtree delegated to the user the container has its cgroup in every
// hierarchy, with its limits (device rules left out: they need
// CAP_SYS_ADMIN on the host), and ps, exec, update, pause and delete use
// it.
TEST_F(Rootless, ADelegatedSubtreeGivesTheContainerItsCgroups) {
  if (hierarchies().empty()) GTEST_SKIP() << "no cgroup hierarchy mounted";
  ASSERT_NO_FATAL_FAILURE(delegate());
  const std::string cg = delegated_ + "/c1";
  auto host = cgroup::detect().value();
  const cgroup::Hierarchy* pids = host->v1("pids");
  std::string limits = pids ? R"("resources": {"pids": {"limit": 20}, "devices": )"
                              R"([{"allow": false, "access": "rwm"}]}, )"
                            : "";
  linux_add(limits + R"("cgroupsPath": ")" + cg + "\"");
  args(R"("sleep", "100")");
  Cmd r = as_user({"run", "-d", "rl"});
  ASSERT_EQ(r.code, 0) << r.err;
  Cmd st = as_user({"state", "rl"});
  std::string pid = st.out.substr(st.out.find("\"pid\": ") + 7);
  pid = pid.substr(0, pid.find(','));
  for (auto& h : host->hierarchies)
    EXPECT_EQ(cgroup::read_text(h.mount + cg + "/cgroup.procs"), pid + "\n") << h.mount;
  if (pids) {
    EXPECT_EQ(cgroup::read_text(pids->mount + cg + "/pids.max"), "20\n");
  }
  r = as_user({"ps", "--format", "json", "rl"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "[" + pid + "]\n");
  r = as_user({"exec", "rl", "sh", "-c", "cat /proc/self/cgroup >/dev/null && echo in"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "in\n");
  if (pids) {
    EXPECT_EQ(as_user({"update", "--pids-limit", "30", "rl"}).code, 0);
    EXPECT_EQ(cgroup::read_text(pids->mount + cg + "/pids.max"), "30\n");
  }
  r = as_user({"pause", "rl"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(as_user({"state", "rl"}).out.find("\"status\": \"paused\""), std::string::npos);
  EXPECT_EQ(as_user({"resume", "rl"}).code, 0);
  EXPECT_NE(as_user({"state", "rl"}).out.find("\"status\": \"running\""), std::string::npos);
  r = as_user({"delete", "--force", "rl"});
  EXPECT_EQ(r.code, 0) << r.err;
  wait_gone(std::atoi(pid.c_str()));
  struct stat sb;
  for (auto& h : host->hierarchies)
    EXPECT_NE(::stat((h.mount + cg).c_str(), &sb), 0) << h.mount + cg << " left";
  EXPECT_EQ(as_user({"list", "-q"}).out, "");
}

}  // namespace ringc::test
