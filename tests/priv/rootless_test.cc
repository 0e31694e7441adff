// A rootless ringc: run by an unprivileged user (a uid with no passwd
// entry here) on a config from `ringc spec --rootless`, with the state
// under $XDG_RUNTIME_DIR/ringc and no cgroups, as runc runs it.
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
    Priv::TearDown();
  }
  // ringc as kUser in the bundle directory, with its own XDG_RUNTIME_DIR
  // (so the default --root), stdout and stderr to files.
  Cmd as_user(std::vector<std::string> args) {
    args.insert(args.begin(), RINGC_BIN);
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
  std::string home_, xdg_, bundle_;
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
  EXPECT_NE(r.err.find("/linux/resources: a rootless ringc runs containers without cgroups"),
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

}  // namespace ringc::test
