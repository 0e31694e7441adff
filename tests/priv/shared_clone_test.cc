// Inits cloned in the daemon's own memory (RINGC_SHARED_CLONE=1,
// core/spawn/shared_clone.h): a created init shares the daemon's address
// space until its exec, and has its own after; runs, exit codes and
// batches read as ever; each donor comes back once its init exec'd or
// exited, and one whose init was killed before its exec is not lent again.
#include <linux/kcmp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "tests/priv/daemon_fixture.h"

namespace ringc::test {
namespace {

class SharedClone : public Daemon {
 protected:
  void SetUp() override {
    Daemon::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    kill(daemon_.pid, SIGTERM);
    ASSERT_EQ(daemon_.wait(), 0);
    ScopedEnv env("RINGC_SHARED_CLONE", "1");
    start_daemon();
    if (has(stats(), "\"shared_clone\":null"))
      GTEST_SKIP() << "no shared clones in this build (x86-64 only, not under sanitizers)";
  }
  std::string stats() {
    Client c(sock_);
    return c.call(R"({"op":"stats"})");
  }
  // The stats' shared_clone object, e.g. {"lent":0,"made":2,"retired":0}.
  std::string donors() {
    std::string st = stats();
    size_t at = st.find("\"shared_clone\":");
    return at == std::string::npos ? st : st.substr(at + 15, st.find('}', at) - at - 14);
  }
  // The first clone found clone3 refused (ringc-deny, a seccomp profile,
  // an older kernel): the daemon stopped making shared clones.
  // (c, just created, is deleted then).
  bool refused(const std::string& c) {
    if (!has(stats(), "\"shared_clone\":null")) return false;
    via({"delete", "-f", c});
    return true;
  }
  // A first container, created and deleted (its donor lent and given
  // back): whether clone3 was refused.
  bool probe_refused() {
    std::string probe = id("probe");
    EXPECT_EQ(via({"create", "-b", bundle({"true"}), probe}).code, 0);
    if (refused(probe)) return true;
    EXPECT_EQ(via({"delete", "-f", probe}).code, 0);
    return false;
  }
  static constexpr const char* kRefused =
      "clone3 with CLONE_VM is refused here: inits are cloned as before";
  // Whether pid runs in the daemon's address space.
  bool shares_daemon_memory(pid_t pid) {
    return syscall(SYS_kcmp, serving_pid(), pid, KCMP_VM, 0, 0) == 0;
  }
  pid_t pid_of(const std::string& c) {
    std::string st = ringc({"state", c}).out;
    size_t at = st.find("\"pid\": ");
    return at == std::string::npos ? -1 : pid_t(std::atoi(st.c_str() + at + 7));
  }
};

TEST_F(SharedClone, AnInitSharesTheDaemonsMemoryUntilItsExec) {
  std::string c = id("shared");
  ASSERT_EQ(via({"create", "-b", bundle({"sleep", "1000"}), c}).code, 0);
  if (refused(c)) GTEST_SKIP() << kRefused;
  pid_t pid = pid_of(c);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(shares_daemon_memory(pid));
  EXPECT_EQ(donors(), R"({"lent":1,"made":1,"retired":0})");
  ASSERT_EQ(via({"start", c}).code, 0);  // answered once it exec'd
  EXPECT_FALSE(shares_daemon_memory(pid));
  EXPECT_EQ(donors(), R"({"lent":0,"made":1,"retired":0})");
  EXPECT_EQ(via({"delete", "-f", c}).code, 0);

  Cmd r = via({"run", "-b", bundle({"sh", "-c", "echo hi; exit 3"}), "--rm", id("shared-run")});
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.out, "hi\n");
  Cmd batch = via({"batch", "-b", bundle({"true"}), "--count", "100", "--parallel", "16",
                   "--id-prefix", id("shared-b")});
  EXPECT_EQ(batch.code, 0) << batch.out << batch.err;
  EXPECT_TRUE(has(batch.out, "100 ok, 0 failed")) << batch.out;
  std::string d = donors();
  EXPECT_TRUE(has(d, R"("lent":0,)")) << d;
  EXPECT_TRUE(has(d, R"("retired":0})")) << d;
  EXPECT_EQ(via({"list", "-q"}).out, "");
}

// The user's ids are set for the init alone: glibc's setuid family would
// take the daemon's threads (its donors among them) for the init's own and
// signal each under a lock all inits share. The init gets its ids and
// groups; the daemon's threads keep root's.
TEST_F(SharedClone, AnInitTakesItsUserAloneAndTheDaemonKeepsItsOwn) {
  std::string held = id("held");  // its donor is lent: the next init gets a second one
  ASSERT_EQ(via({"create", "-b", bundle({"sleep", "1000"}), held}).code, 0);
  if (refused(held)) GTEST_SKIP() << kRefused;
  std::string b = bundle({"sh", "-c", "id -u; id -g; id -G"}, [](std::string& c) {
    replace(c, "\"uid\": 0", "\"uid\": 1000");
    replace(c, "\"gid\": 0", "\"gid\": 1001, \"additionalGids\": [5, 6]");
  });
  Cmd r = via({"run", "-b", b, "--rm", id("user")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1000\n1001\n1001 5 6\n");
  EXPECT_EQ(donors(), R"({"lent":1,"made":2,"retired":0})");
  // Every thread of the daemon: the ids and groups it was started with
  // (this test's).
  auto ids = [](const std::string& status) {
    std::string out;
    for (const char* key : {"\nUid:", "\nGid:", "\nGroups:"}) {
      size_t at = status.find(key);
      out += at == std::string::npos ? "?" : status.substr(at, status.find('\n', at + 1) - at);
    }
    return out;
  };
  const std::string ours = ids(slurp("/proc/self/status"));
  std::string task = fmt::format("/proc/{}/task", serving_pid());
  int threads = 0;
  for (const auto& t : std::filesystem::directory_iterator(task)) {
    EXPECT_EQ(ids(slurp(t.path().string() + "/status")), ours) << t.path();
    ++threads;
  }
  EXPECT_GE(threads, 3);  // the reactor and two donors
  EXPECT_EQ(via({"delete", "-f", held}).code, 0);
}

// An init's argv and environment are pointed to from its stack, where
// 2,047 of each fit: one with more is cloned by fork (a heap copy would
// outlive its exec in the daemon's memory), and runs all the same.
TEST_F(SharedClone, AnEnvironmentTooLargeForTheStackIsClonedByFork) {
  std::string b = bundle({"sh", "-c", "env | grep -c ^MANY_"}, [](std::string& cfg) {
    std::string vars;
    for (int k = 0; k < 3000; ++k) vars += fmt::format("\"MANY_{}=x\", ", k);
    replace(cfg, "\"env\": [", "\"env\": [" + vars);
  });
  Cmd r = via({"run", "-b", b, "--rm", id("many")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "3000\n");
  EXPECT_EQ(donors(), R"({"lent":0,"made":0,"retired":0})");  // none lent: forked
}

// Killed after its ready, an init holds no lock: from its ready to its
// exec it allocates nothing (core/init/child.cc). Its donor is lent again.
TEST_F(SharedClone, ADonorWhoseInitWasKilledAfterItsReadyIsLentAgain) {
  std::string c = id("killed");
  ASSERT_EQ(via({"create", "-b", bundle({"sleep", "1000"}), c}).code, 0);
  if (refused(c)) GTEST_SKIP() << kRefused;
  EXPECT_EQ(via({"kill", c, "9"}).code, 0);
  EXPECT_EQ(via({"delete", "-f", c}).code, 0);
  EXPECT_EQ(donors(), R"({"lent":0,"made":1,"retired":0})");
  Cmd r = via({"run", "-b", bundle({"true"}), "--rm", id("after")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(donors(), R"({"lent":0,"made":1,"retired":0})");
}

// Killed before its ready (here from outside, by a createRuntime hook
// that reads the init's pid from its state), an init may have died inside
// malloc holding its arena's lock: its donor is never lent again, and the
// next init gets another.
TEST_F(SharedClone, ADonorWhoseInitWasKilledBeforeItsReadyIsRetired) {
  if (probe_refused()) GTEST_SKIP() << kRefused;
  std::string b = bundle({"true"}, [](std::string& cfg) {
    replace(cfg, "\"linux\": {",
            R"X("hooks": {"createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c",
               "kill -9 $(sed -n 's/.*\"pid\":\\([0-9]*\\).*/\\1/p')"]}]}, "linux": {)X");
  });
  Cmd r = via({"create", "-b", b, id("killed-early")});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(donors(), R"({"lent":0,"made":1,"retired":1})");
  Cmd after = via({"run", "-b", bundle({"true"}), "--rm", id("after")});
  EXPECT_EQ(after.code, 0) << after.err;
  EXPECT_EQ(donors(), R"({"lent":0,"made":2,"retired":1})");
}

// A seccomp filter (no_new_privs: loaded after `start`, from the program
// the init compiled onto its stack before its ready) denies as configured
// in an init cloned in the daemon's memory.
TEST_F(SharedClone, AFilterCompiledBeforeReadyIsLoadedAfterStart) {
  if (probe_refused()) GTEST_SKIP() << kRefused;
  const std::string profile =
      R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
          "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]})";
  std::string b = bundle(
      {"sh", "-c", "mkdir /tmp/a 2>&1; grep Seccomp: /proc/self/status"}, [&](std::string& cfg) {
        replace(cfg, "\"linux\": {", "\"linux\": {\"seccomp\": " + profile + ",");
      });
  Cmd r = via({"run", "-b", b, "--rm", id("filtered")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "can't create directory '/tmp/a': Function not implemented")) << r.out;
  EXPECT_TRUE(has(r.out, "Seccomp:\t2")) << r.out;
  EXPECT_EQ(donors(), R"({"lent":0,"made":1,"retired":0})");
}

}  // namespace
}  // namespace ringc::test
