// SCMP_ACT_NOTIFY and the seccomp agent (runc's protocol), with the test
// agent tests/agent/seccomp_agent.cc: it makes PATH-METADATA for a mkdir,
// answers ENOMEDIUM to chmod and lets everything else through. The cases
// are runc's tests/integration/seccomp-notify.bats, plus what the agent
// receives and that no process of the container keeps a listener.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
// The agent, started on SOCKET with its state log; stopped by TERM.
class Agent {
 public:
  Agent(const std::string& socket, const std::string& log) : socket_(socket), log_(log) {
    int out[2];
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::execl(RINGC_SECCOMP_AGENT, RINGC_SECCOMP_AGENT, socket.c_str(), log.c_str(), nullptr);
      ::_exit(127);
    }
    ::close(out[1]);
    Running r{pid_, out[0]};
    EXPECT_EQ(r.read_line(), "listening");  // bound and listening
    ::close(out[0]);
  }
  ~Agent() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string log() const { return slurp(log_); }
  const std::string& socket() const { return socket_; }

 private:
  std::string socket_, log_;
  pid_t pid_ = -1;
};

// runc's template: mkdir (or `calls`) notified, the agent's socket, metadata "bar".
std::function<void(std::string&)> notify(const std::string& socket, bool nnp,
                                         const std::string& calls = R"("mkdir")") {
  return [=](std::string& c) {
    replace(
        c, "\"linux\": {",
        "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"" +
            socket +
            "\", \"listenerMetadata\": \"bar\", \"architectures\": [\"SCMP_ARCH_X86\", "
            "\"SCMP_ARCH_X32\", \"SCMP_ARCH_X86_64\"], \"syscalls\": [{\"names\": [" +
            calls + "], \"action\": \"SCMP_ACT_NOTIFY\"}]},");
    if (!nnp) replace(c, "\"noNewPrivileges\": true", "\"noNewPrivileges\": false");
  };
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}
}  // namespace

// The agent answers the container's mkdir (it makes foo-bar), with and
// without no_new_privs (the filter is loaded at two places), through the
// CLI and through the daemon; it got the state runc sends: the seccompFd,
// the metadata, the init's pid and the container's state, "creating".
TEST_F(Priv, SeccompAgentAnswersTheContainersCalls) {
  Agent agent(root_ + ".agent.sock", root_ + ".agent.log");
  int n = 0;
  for (auto way : ways()) {
    for (bool nnp : {false, true}) {
      std::string cid = id("notify" + std::to_string(n++));
      std::string b = bundle({"sh", "-c", "mkdir /dev/shm/foo && stat -c %n /dev/shm/foo-bar"},
                             notify(agent.socket(), nnp));
      Cmd r = ringc_via(way, {"run", "-b", b, cid});
      ASSERT_EQ(r.code, 0) << r.err << r.out;
      EXPECT_EQ(r.out, "/dev/shm/foo-bar\n");
      std::string log = agent.log();
      size_t at = log.find("\"id\":\"" + cid + "\"");
      ASSERT_NE(at, std::string::npos) << log;
      std::string line = log.substr(log.rfind('\n', at) + 1);
      line = line.substr(0, line.find('\n'));
      EXPECT_NE(line.find(R"("fds":["seccompFd"])"), std::string::npos) << line;
      EXPECT_NE(line.find(R"("metadata":"bar")"), std::string::npos) << line;
      EXPECT_NE(line.find(R"("status":"creating")"), std::string::npos) << line;
      EXPECT_NE(line.find("\"bundle\":\"" + b + "\""), std::string::npos) << line;
      // The process's pid and the state's are the init's.
      size_t p1 = line.find("\"pid\":"), p2 = line.find("\"pid\":", p1 + 1);
      ASSERT_NE(p2, std::string::npos) << line;
      EXPECT_EQ(std::atoi(line.c_str() + p1 + 6), std::atoi(line.c_str() + p2 + 6)) << line;
      EXPECT_GT(std::atoi(line.c_str() + p1 + 6), 0) << line;
    }
  }
}

// exec under the same profile: the exec'd process's listener goes to the
// agent too, with its own pid and the container "running".
TEST_F(Priv, SeccompAgentAnswersExecdProcesses) {
  Agent agent(root_ + ".agent.sock", root_ + ".agent.log");
  for (bool nnp : {false, true}) {
    std::string cid = id(nnp ? "nnp" : "caps");
    Cmd r = ringc({"run", "-d", "-b", bundle({"sleep", "1000"}, notify(agent.socket(), nnp)), cid});
    ASSERT_EQ(r.code, 0) << r.err;
    r = ringc({"exec", cid, "sh", "-c", "mkdir /dev/shm/foo && stat -c %n /dev/shm/foo-bar"});
    EXPECT_EQ(r.code, 0) << r.err << r.out;
    EXPECT_EQ(r.out, "/dev/shm/foo-bar\n");
    std::string log = agent.log();
    EXPECT_EQ(count(log, "\"id\":\"" + cid + "\""), 2u) << log;
    EXPECT_NE(log.find("\"id\":\"" + cid + "\",\"status\":\"running\""), std::string::npos) << log;
    EXPECT_EQ(ringc({"delete", "-f", cid}).code, 0);
  }
}

// Notifying the calls the init itself makes after loading the filter
// (runc's "important syscalls") still starts the container: the agent
// holds the listener before any of them waits for it.
TEST_F(Priv, SeccompAgentCanCatchTheInitsOwnCalls) {
  Agent agent(root_ + ".agent.sock", root_ + ".agent.log");
  for (bool nnp : {false, true}) {
    std::string b = bundle(
        {"/bin/true"}, notify(agent.socket(), nnp, R"("execve","openat","open","read","close")"));
    Cmd r = ringc({"run", "-b", b, id("important")});
    EXPECT_EQ(r.code, 0) << r.err;
  }
}

// No process of the container holds a listener (it could answer its own
// calls): the process sees only its stdio, and so does a startContainer
// hook (runc's test counts 4 entries, ls's own directory fd included).
TEST_F(Priv, SeccompListenerStaysOutOfTheContainer) {
  Agent agent(root_ + ".agent.sock", root_ + ".agent.log");
  const char* count_fds = "ls /proc/self/fd | wc -l";
  std::string b = bundle({"sh", "-c", count_fds}, [&](std::string& c) {
    notify(agent.socket(), true)(c);
    replace(c, "\"linux\": {",
            std::string("\"hooks\": {\"startContainer\": [{\"path\": \"/bin/sh\", \"args\": "
                        "[\"sh\", \"-c\", \"") +
                count_fds + " >&2\"]}]}, \"linux\": {");
  });
  Cmd r = ringc({"run", "-b", b, id("fds")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "4\n");
  EXPECT_EQ(r.err, "4\n");
}

// A listenerPath without a notifying rule is never contacted.
TEST_F(Priv, SeccompListenerPathWithoutNotifyRulesIsUnused) {
  Agent agent(root_ + ".agent.sock", root_ + ".agent.log");
  std::string b =
      bundle({"sh", "-c", "mkdir /dev/shm/foo && stat -c %n /dev/shm/foo"}, [&](std::string& c) {
        replace(c, "\"linux\": {",
                "\"linux\": {\"seccomp\": {\"defaultAction\": "
                "\"SCMP_ACT_ALLOW\", \"listenerPath\": \"" +
                    agent.socket() + "\", \"listenerMetadata\": \"bar\"},");
      });
  Cmd r = ringc({"run", "-b", b, id("unused")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "/dev/shm/foo\n");
  EXPECT_EQ(agent.log(), "");
}

// The agent's answer is the call's: chmod fails with ENOMEDIUM.
TEST_F(Priv, SeccompAgentsErrorIsTheCallsError) {
  Agent agent(root_ + ".agent.sock", root_ + ".agent.log");
  std::string b = bundle({"sh", "-c", "touch /dev/shm/foo && chmod 777 /dev/shm/foo"},
                         notify(agent.socket(), false, R"("chmod", "fchmod", "fchmodat")"));
  Cmd r = ringc({"run", "-b", b, id("chmod")});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("chmod: /dev/shm/foo: No medium found"), std::string::npos) << r.err;
}

// No agent at the path (none listening, a wrong path, an abstract name
// nobody bound): create fails, saying so, and leaves nothing (the
// harness checks). Through the CLI and the daemon.
TEST_F(Priv, SeccompNotifyWithoutAnAgentFailsCreate) {
  std::string dead = root_ + ".dead.sock";
  { Agent gone(dead, root_ + ".dead.log"); }  // its socket file stays, nobody listens
  int n = 0;
  for (auto way : ways()) {
    for (std::string path : {dead, std::string("/some-non-existing-listener-path.sock"),
                             std::string("@ringc-test-nobody-here")}) {
      std::string cid = id("noagent" + std::to_string(n++));
      Cmd r = ringc_via(way, {"run", "-b", bundle({"true"}, notify(path, false)), cid});
      EXPECT_EQ(r.code, 1) << r.out;
      EXPECT_NE(r.err.find("failed to connect with seccomp agent"), std::string::npos) << r.err;
      EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
      EXPECT_EQ(ringc({"state", cid}).code, 1);
    }
  }
}

// An agent that goes away: the calls it would have answered fail with
// ENOSYS (nothing else holds the listener), the container runs on.
TEST_F(Priv, SeccompCallsFailWithEnosysOnceTheAgentIsGone) {
  Agent agent(root_ + ".agent.sock", root_ + ".agent.log");
  std::string out = root_ + ".out";
  int in[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  std::string b = bundle({"sh", "-c", "read line; mkdir /dev/shm/foo 2>&1; echo rc=$?"},
                         notify(agent.socket(), false));
  std::string cid = id("agentgone");
  Cmd r = ringc_with({"run", "-d", "-b", b, cid}, [&] {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(in[0], 0);
    ::dup2(fd, 1);
  });
  ::close(in[0]);
  ASSERT_EQ(r.code, 0) << r.err;
  agent.stop();
  ASSERT_EQ(::write(in[1], "go\n", 3), 3);
  ::close(in[1]);
  EXPECT_EQ(slurp_when(out,
                       "mkdir: can't create directory '/dev/shm/foo': Function not "
                       "implemented\nrc=1\n"),
            "mkdir: can't create directory '/dev/shm/foo': Function not implemented\nrc=1\n");
  EXPECT_EQ(ringc({"delete", "-f", cid}).code, 0);
}

}  // namespace ringc::test
