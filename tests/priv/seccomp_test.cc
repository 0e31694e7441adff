// linux.seccomp applied through libseccomp, checked from inside.
#include <fstream>
#include <sstream>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
std::function<void(std::string&)> with_seccomp(const std::string& profile, bool nnp = true) {
  return [profile, nnp](std::string& c) {
    replace(c, "\"linux\": {", "\"linux\": {\"seccomp\": " + profile + ",");
    if (!nnp) replace(c, "\"noNewPrivileges\": true", "\"noNewPrivileges\": false");
  };
}
}  // namespace

// A denied syscall returns the errnoRet the rule names; a rule with an
// argument comparison only denies what matches; an unknown syscall name
// is skipped as runc skips it. Once with no_new_privs (loaded right
// before execve), once without (loaded before the identity drops caps).
TEST_F(Priv, SeccompDeniesWithTheConfiguredErrno) {
  const std::string profile =
      R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
          "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["kill"], "action": "SCMP_ACT_ERRNO",
             "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["no_such_syscall"], "action": "SCMP_ACT_KILL"}]})";
  const char* script =
      "mkdir /tmp/a 2>&1; kill -0 1 2>&1; kill -CONT 1 && echo cont-ok; "
      "grep Seccomp: /proc/self/status";
  for (bool nnp : {true, false}) {
    std::string b = bundle({"sh", "-c", script}, with_seccomp(profile, nnp));
    Cmd r = ringc({"run", "-b", b, id("seccomp")});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("can't create directory '/tmp/a': Function not implemented"),
              std::string::npos)
        << r.out;
    EXPECT_NE(r.out.find("can't kill pid 1: Operation not permitted"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("cont-ok"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
  }
}

// The profile Docker ships (tests/data/docker-default-seccomp.json, as
// Docker renders it into config.json for amd64 and the default
// capabilities) loads, the shell runs under it, and what it denies is
// denied: unshare needs CAP_SYS_ADMIN there, clone3 answers ENOSYS.
TEST_F(Priv, DockerDefaultProfileRuns) {
  std::ifstream in(std::string(RINGC_SOURCE_DIR) + "/tests/data/docker-default-seccomp.json");
  std::stringstream ss;
  ss << in.rdbuf();
  ASSERT_FALSE(ss.str().empty());
  std::string b = bundle({"sh", "-c",
                          "echo hello; ls / >/dev/null && echo ls-ok; unshare -m true "
                          "2>&1; grep Seccomp: /proc/self/status"},
                         with_seccomp(ss.str()));
  Cmd r = ringc({"run", "-b", b, id("docker")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("hello\nls-ok\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("unshare(0x20000): Operation not permitted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
}

TEST_F(Priv, SeccompErrorsNameTheField) {
  struct Case {
    std::string profile, message;
  } cases[] = {
      {R"({"defaultAction": "SCMP_ACT_BOGUS"})",
       "/linux/seccomp/defaultAction: unknown action \"SCMP_ACT_BOGUS\""},
      {R"({"syscalls": []})", "/linux/seccomp/defaultAction: is required"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]})",
       "/linux/seccomp/architectures: unknown architecture \"SCMP_ARCH_Z80\""},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"],
          "action": "SCMP_ACT_ERRNO", "args": [{"index": 7, "value": 0, "op": "SCMP_CMP_EQ"}]}]})",
       "/linux/seccomp/syscalls/0/args/0/index: must be between 0 and 5"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"],
          "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_XX"}]}]})",
       "/linux/seccomp/syscalls/0/args/0/op: unknown operator \"SCMP_CMP_XX\""},
      {R"({"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/agent.sock"})",
       "/linux/seccomp/defaultAction: SCMP_ACT_NOTIFY cannot be used as default action"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock",
          "syscalls": [{"names": ["mkdir", "write"], "action": "SCMP_ACT_NOTIFY"}]})",
       "/linux/seccomp/syscalls/0/names: SCMP_ACT_NOTIFY cannot be used for the write syscall"},
      {R"({"defaultAction": "SCMP_ACT_ALLOW",
          "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]})",
       "/linux/seccomp/listenerPath: is required when a rule's action is SCMP_ACT_NOTIFY"},
  };
  for (auto& c : cases) {
    std::string b = bundle({"true"}, with_seccomp(c.profile));
    Cmd r = ringc({"run", "-b", b, id("badsec")});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
}

// A default-deny profile answered every syscall it does not name with its
// default errno, so libc could not tell "refused" from "not there" and
// never fell back. Like runc's stub, ringc answers syscalls newer than
// every one the profile names with ENOSYS; named ones keep their action.
TEST_F(Priv, SyscallsNewerThanTheProfileAreNotImplemented) {
  std::string rootfs = root_ + ".rootfs";
  ASSERT_EQ(std::system(("cp -a " + rootfs_ + " " + rootfs + " && cp " RINGC_PAYLOAD " " + rootfs +
                         "/bin/payload")
                            .c_str()),
            0);
  // Enough for a static program to start and print; getppid (110) named
  // and denied; getpid (39) not named, older than the newest named.
  const std::string profile =
      R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
          "architectures": ["SCMP_ARCH_X86_64"],
          "syscalls": [
            {"names": ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list",
                       "rseq", "prlimit64", "mprotect", "readlink", "uname", "newfstatat",
                       "fstat", "write", "exit_group", "mmap", "munmap", "getrandom",
                       "futex", "rt_sigprocmask", "rt_sigaction", "ioctl"],
             "action": "SCMP_ACT_ALLOW"},
            {"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"names": ["rseq"], "action": "SCMP_ACT_ALLOW"}]})";
  for (auto [nr, want] : {std::pair{"39", "errno 1"},
                          {"110", "errno 13"},
                          {"440", "errno 38"},
                          {"460", "errno 38"}}) {
    std::string b = bundle({"/bin/payload", "syscall", nr}, [&](std::string& c) {
      replace(c, rootfs_, rootfs);
      with_seccomp(profile)(c);
    });
    Cmd r = ringc({"run", "-b", b, id("enosys")});
    EXPECT_EQ(r.code, 0) << nr << ": " << r.err;
    EXPECT_EQ(r.out, std::string(want) + "\n") << "syscall " << nr;
  }
}

}  // namespace ringc::test
