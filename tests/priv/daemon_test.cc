// ringc daemon on real containers: the protocol's round trips and refusals,
// clients that misbehave, restart policies, grace periods and recovery
// after kill -9.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "cgroup/layout.h"
#include "core/init/console.h"
#include "tests/priv/daemon_fixture.h"

namespace ringc::test {

TEST_F(Daemon, RunStateKillWithGraceWaitDelete) {
  std::string b = bundle({"sleep", "1000"});
  std::string c = id("d");
  struct stat st;
  ASSERT_EQ(stat(sock_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  Cmd r = via({"run", "-d", "-b", b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  Cmd s = via({"state", c});
  EXPECT_TRUE(has(s.out, "\"status\": \"running\"")) << s.out;
  EXPECT_TRUE(has(ringc({"state", c}).out, "\"status\": \"running\""));  // the record, no daemon
  EXPECT_TRUE(has(via({"list"}).out, c));
  EXPECT_EQ(via({"start", c}).code, 1);  // running: refused by the table
  // busybox sleep as pid 1 ignores TERM: the grace timer's KILL ends it.
  EXPECT_EQ(via({"kill", "--grace", "200ms", c, "TERM"}).code, 0);
  Cmd w = via({"wait", c});
  EXPECT_EQ(w.out, "137\n");
  EXPECT_EQ(w.code, 137);
  EXPECT_EQ(via({"delete", c}).code, 0);
  EXPECT_EQ(via({"list", "-q"}).out, "");
  EXPECT_FALSE(cgroup_exists(c));

  // Foreground run through the daemon: the program writes to the client's
  // stdout and stderr, and its exit code is the client's.
  Cmd fg = via({"run", "-b", bundle({"sh", "-c", "echo out; echo err >&2; exit 7"}), id("fg")});
  EXPECT_EQ(fg.code, 7) << fg.err;
  EXPECT_EQ(fg.out, "out\n");
  EXPECT_EQ(fg.err, "err\n");
  EXPECT_EQ(via({"list", "-q"}).out, "");  // deleted after the exit, as runc run does
}

// What reaches fd within the deadline, up to EOF; "<no EOF>" appended when
// the deadline passes first.
static std::string read_to_eof(int fd, int deadline_ms) {
  std::string out;
  for (int waited = 0; waited < deadline_ms; waited += 50) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, size_t(n));
  }
  return out + "<no EOF>";
}

// A detached container gets the client's stdio too. With a restart policy
// the daemon holds it for the runs to come, and lets go once none is (the
// reader sees EOF); an init created meanwhile holds none of it.
TEST_F(Daemon, TheClientsStdioLastsAsLongAsRunsMayComeAndNoLonger) {
  std::string c = id("stdio"), other = id("idle");
  Running r = ringc_async({"--daemon", sock_, "run", "-d", "--restart", "on-failure:2", "-b",
                           bundle({"sh", "-c", "echo run; exit 1"}), c});
  ASSERT_EQ(r.read_line(), "run");
  ASSERT_EQ(via({"create", "-b", bundle({"true"}), other}).code, 0);  // during the backoff
  EXPECT_EQ(read_to_eof(r.out_fd, 10'000), "run\nrun\n");
  EXPECT_EQ(r.wait(), 0);
  EXPECT_TRUE(has(via({"state", c}).out, "\"restartCount\": 2"));
  EXPECT_EQ(via({"delete", c}).code, 0);
  EXPECT_EQ(via({"delete", "--force", other}).code, 0);
}

// Containers started from one shell share its stdio: the daemon holds one
// fd per open file for their restarts, not three per container.
TEST_F(Daemon, ContainersStartedFromOneShellShareTheHeldFds) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::string b = bundle({"sleep", "1000"});
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(id("shell"));
    Cmd r = ringc_with({"--daemon", sock_, "run", "-d", "--restart", "always", "-b", b, ids.back()},
                       [&] {
                         dup2(null, 0);
                         dup2(p[1], 1);
                         dup2(p[1], 2);
                       });
    ASSERT_EQ(r.code, 0);
  }
  EXPECT_TRUE(has(via({"stats"}).out, "\"held_fds\":2,")) << via({"stats"}).out;
  std::vector<std::string> del = {"delete", "--force"};
  del.insert(del.end(), ids.begin(), ids.end());
  EXPECT_EQ(via(del).code, 0);
  EXPECT_TRUE(has(via({"stats"}).out, "\"held_fds\":0,")) << via({"stats"}).out;
  close(p[0]);
  close(p[1]);
  close(null);
}

// However many fds the daemon has open (here 100 idle clients), an init
// sets up under a small RLIMIT_NOFILE and hands its program stdio alone.
TEST_F(Daemon, AnInitHoldsNoneOfTheDaemonsFds) {
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 100; ++i) {
    idle.push_back(std::make_unique<Client>(sock_));
    ASSERT_TRUE(has(idle.back()->call(R"({"op":"stats"})"), "\"ok\":true"));  // accepted
  }
  std::string b = bundle({"sh", "-c", "ls /proc/self/fd | wc -l"}, [](std::string& c) {
    replace(c, "\"hard\": 1024", "\"hard\": 32");
    replace(c, "\"soft\": 1024", "\"soft\": 32");
  });
  Cmd r = via({"run", "-b", b, id("fewfds")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "4\n");  // 0, 1, 2 and ls's own directory
}

TEST_F(Daemon, MalformedRequestsGetErrorsAndOthersGoOn) {
  Client bad(sock_), good(sock_);
  ASSERT_TRUE(bad.connected() && good.connected());
  EXPECT_TRUE(has(bad.call("not json"), "\"ok\":false,\"error\":\"request: not valid JSON: "));
  EXPECT_TRUE(has(bad.call("{\"op\":\"fly\",\"seq\":4}"), "{\"seq\":4,\"ok\":false"));
  EXPECT_TRUE(
      has(bad.call("{\"op\":\"run\",\"id\":\"x\",\"bundle\":5}"), "/bundle: must be a string"));
  EXPECT_TRUE(has(bad.call("{\"op\":\"kill\",\"id\":\"ghost\"}"), "does not exist"));
  // Fds: fewer sent than declared is refused by name; a client that
  // leaves more than 1,024 untaken is cut off.
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  EXPECT_TRUE(
      has(bad.call_with_fds(R"({"op":"run","id":"x","bundle":"/nope","fds":2})", {&null, 1}),
          "request: /fds: 2 fds declared, 1 sent with the request"));
  Client flood(sock_);
  std::vector<int> many(200, null);
  std::string reply;
  for (int i = 0; i < 6 && reply.empty(); ++i) {
    if (!send_fds(flood.fd(), many,
                  R"({"op":"list"})"
                  "\n",
                  "flood"))
      break;
    reply = flood.line();
    if (has(reply, "\"ok\":true")) reply.clear();
  }
  EXPECT_TRUE(has(reply, "over 1024 fds sent")) << reply;
  close(null);
  EXPECT_TRUE(has(good.call("{\"op\":\"stats\",\"seq\":\"s\"}"), "{\"seq\":\"s\",\"ok\":true"));
  // A line over 64 KiB: an error, then the connection is closed; with
  // its newline too (it is not parsed, so nothing of it is echoed).
  bad.send(std::string(70'000, 'x'));
  EXPECT_TRUE(has(bad.line(), "request over 65536 bytes"));
  EXPECT_EQ(bad.line(), "");
  Client whole(sock_);
  whole.send("{\"op\":\"create\",\"id\":\"" + std::string(70'000, 'x') + "\"}\n");
  std::string refused = whole.line();
  EXPECT_TRUE(has(refused, "request over 65536 bytes")) << refused.substr(0, 200);
  EXPECT_LT(refused.size(), 200u);
  EXPECT_EQ(whole.line(), "");
  EXPECT_TRUE(has(good.call("{\"op\":\"list\"}"), "\"ok\":true,\"containers\":[]"));
}

TEST_F(Daemon, AStalledSubscriberDoesNotHoldUpOthers) {
  Client stalled(sock_);
  ASSERT_TRUE(has(stalled.call("{\"op\":\"subscribe\"}"), "\"subscribed\":true"));
  // It never reads again; a batch through another client still finishes.
  std::string prefix = id("st");
  Cmd r = via({"batch", "-b", bundle({"true"}), "--count", "300", "--parallel", "16", "--id-prefix",
               prefix, "--json"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "\"count\":300,\"ok\":300,\"failed\":0")) << r.out;
  EXPECT_TRUE(has(via({"stats"}).out, "\"containers\":0"));
}

TEST_F(Daemon, PeerCredentialsAreChecked) {
  chmod(sock_.c_str(), 0666);  // let the socket file itself admit anyone
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    Client c(sock_);
    std::string reply = c.connected() ? c.line() : "";
    _exit(has(reply, "permission denied: peer uid not allowed") ? 0 : 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(Daemon, OnFailureRestartsUpToItsLimitWithBackoff) {
  std::string c = id("rs");
  Client events(sock_);
  ASSERT_TRUE(has(events.call("{\"op\":\"subscribe\"}"), "subscribed"));
  Cmd r = via({"run", "-d", "--restart", "on-failure:2", "-b", bundle({"sh", "-c", "exit 3"}), c});
  ASSERT_EQ(r.code, 0) << r.err;
  int exits = 0, restarts = 0;
  while (exits < 3) {
    std::string l = events.line();
    ASSERT_NE(l, "");
    if (!has(l, "\"id\":\"" + c + "\"")) continue;
    if (has(l, "\"cause\":\"exited\",\"exit_code\":3")) ++exits;
    if (has(l, "\"cause\":\"restart_due\"")) ++restarts;
  }
  EXPECT_EQ(restarts, 2);
  Cmd s = via({"state", c});
  EXPECT_TRUE(has(s.out, "\"exitCode\": 3")) << s.out;
  EXPECT_TRUE(has(s.out, "\"restartPolicy\": \"on-failure:2\"")) << s.out;
  EXPECT_TRUE(has(s.out, "\"restartCount\": 2")) << s.out;
  EXPECT_EQ(via({"delete", c}).code, 0);
}

TEST_F(Daemon, PauseAndResumeReturnOnceTheKernelSaysSo) {
  std::string c = id("pz");
  ASSERT_EQ(via({"run", "-d", "-b", bundle({"sleep", "1000"}), c}).code, 0);
  ASSERT_EQ(via({"pause", c}).code, 0);
  EXPECT_TRUE(has(via({"state", c}).out, "\"status\": \"paused\""));
  EXPECT_TRUE(has(ringc({"state", c}).out, "\"status\": \"paused\""));  // the record
  Cmd again = via({"pause", c});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(has(again.err, "cannot pause container \"" + c + "\" in state paused")) << again.err;
  ASSERT_EQ(via({"resume", c}).code, 0);
  EXPECT_TRUE(has(via({"state", c}).out, "\"status\": \"running\""));
  ASSERT_EQ(via({"pause", c}).code, 0);
  EXPECT_EQ(via({"delete", "--force", c}).code, 0);  // a frozen container is still removed
}

TEST_F(Daemon, TakesOverWhatTheCliMadeInItsRoot) {
  // Made without the daemon, then handed to it: a restarted daemon adopts
  // a created container and starts it through its exec fifo.
  kill(daemon_.pid, SIGTERM);
  EXPECT_EQ(daemon_.wait(), 0);
  std::string c = id("cli");
  ASSERT_EQ(ringc({"create", "-b", bundle({"sleep", "1000"}), c}).code, 0);
  start_daemon();
  EXPECT_TRUE(has(via({"state", c}).out, "\"status\": \"created\""));
  Cmd st = via({"start", c});
  EXPECT_EQ(st.code, 0) << st.err;
  EXPECT_TRUE(has(via({"state", c}).out, "\"status\": \"running\""));
  EXPECT_EQ(via({"delete", "--force", c}).code, 0);
}

}  // namespace ringc::test

namespace ringc::test {

// A container killed by its memory limit: subscribers get an "oom" event
// ahead of the exit, which carries the kernel's count.
TEST_F(Daemon, OomKillsReachSubscribers) {
  RINGC_NEED_CONTROLLERS("memory");
  std::string c = id("oom");
  Client events(sock_);
  ASSERT_TRUE(has(events.call("{\"op\":\"subscribe\"}"), "subscribed"));
  std::string b =
      bundle({"sh", "-c", "x=$(head -c 67108864 /dev/zero | tr '\\0' a); echo survived"},
             [](std::string& cfg) {
               replace(cfg, "\"resources\": {",
                       "\"resources\": {\"memory\": {\"limit\": 16777216, \"swap\": "
                       "16777216},");
             });
  ASSERT_EQ(via({"run", "-d", "-b", b, c}).code, 0);
  // The kernel picks its victims: the shell, or `tr` first and then the
  // shell. The count is at least one, and the exit carries the event's.
  auto kills = [](const std::string& l) {
    size_t at = l.find("\"oom_kills\":");
    return at == std::string::npos ? 0 : std::atoi(l.c_str() + at + 12);
  };
  int oom = 0;
  for (;;) {
    std::string l = events.line();
    ASSERT_NE(l, "");
    if (!has(l, "\"id\":\"" + c + "\"")) continue;
    if (has(l, "\"event\":\"oom\"")) {
      oom = kills(l);
      EXPECT_GE(oom, 1) << l;
    }
    if (has(l, "\"cause\":\"exited\"")) {
      EXPECT_GE(oom, 1) << "no oom event before the exit";
      EXPECT_TRUE(has(l, "\"exit_code\":137,")) << l;
      EXPECT_EQ(kills(l), oom) << l;
      break;
    }
  }
  EXPECT_EQ(via({"delete", c}).code, 0);
}

// The engine makes a v2 directory through io-wq once it has seen its
// parent; a parent removed since then is made again, and the batch after
// it runs as the first did.
TEST_F(Daemon, AParentCgroupRemovedBetweenBatchesIsMadeAgain) {
  std::string parent = "/ringc-again-" + std::to_string(getpid());
  std::string b = bundle({"true"}, [&](std::string& cfg) {
    size_t at = cfg.find("\"namespaces\": [");
    ASSERT_NE(at, std::string::npos);
    cfg.insert(at, "\"cgroupsPath\": \"" + parent + "\", ");
  });
  auto host = cgroup::detect().value();
  for (int round = 0; round < 2; ++round) {
    Cmd r = via({"batch", "-b", b, "--count", "20", "--parallel", "8", "--id-prefix", id("again")});
    EXPECT_EQ(r.code, 0) << r.err << r.out;
    EXPECT_TRUE(has(r.out, "20 ok, 0 failed")) << r.out;
    for (auto& h : host->hierarchies) {
      std::string dir = h.mount + parent;
      EXPECT_TRUE(rmdir(dir.c_str()) == 0 || errno == ENOENT) << dir << ": " << strerror(errno);
    }
  }
}

// With the spawner (forced here; on by default with 4 or more CPUs where
// inits are not shared clones, and with pooled network namespaces on 8 or
// more: docs/internals.md) inits are cloned by a helper process as the daemon's children: they run,
// exit and are reaped as ever. A spawner that dies is done without: the
// next launches clone in the daemon itself.
TEST_F(Daemon, TheSpawnerClonesInitsAndIsDoneWithoutWhenItDies) {
  // The fixture's daemon has no spawner (2 CPUs here): start one that has.
  kill(daemon_.pid, SIGTERM);
  ASSERT_EQ(daemon_.wait(), 0);
  {
    ScopedEnv env("RINGC_SPAWNER", "1");
    start_daemon();
  }
  pid_t d = serving_pid();
  std::string children = slurp(fmt::format("/proc/{}/task/{}/children", d, d));
  pid_t spawner = std::atoi(children.c_str());
  ASSERT_GT(spawner, 0) << children;
  EXPECT_EQ(slurp(fmt::format("/proc/{}/comm", spawner)), "ringc-spawner\n");

  std::string prefix = id("sp");
  Cmd r = via({"batch", "-b", bundle({"true"}), "--count", "100", "--parallel", "16", "--id-prefix",
               prefix});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "100 ok, 0 failed")) << r.out;
  std::string c = id("sp-run");
  Cmd fg = via({"run", "-b", bundle({"sh", "-c", "exit 5"}), "--rm", c});
  EXPECT_EQ(fg.code, 5) << fg.err;

  ASSERT_EQ(kill(spawner, SIGKILL), 0);
  wait_gone(spawner);
  Cmd after = via({"batch", "-b", bundle({"true"}), "--count", "20", "--parallel", "4",
                   "--id-prefix", prefix + "x"});
  EXPECT_EQ(after.code, 0) << after.out << after.err;
  EXPECT_TRUE(has(after.out, "20 ok, 0 failed")) << after.out;
  EXPECT_EQ(via({"list", "-q"}).out, "");
}

TEST_F(Daemon, ExecPsAndStatsRunAgainstTheDaemonsRoot) {
  std::string c = id("ex");
  ASSERT_EQ(via({"run", "-d", "-b", bundle({"sleep", "1000"}), c}).code, 0);
  // The client's own --root names nothing: the daemon says where its
  // records are (`info`), and the CLI's exec, ps and events --stats run
  // against them; update goes to the daemon's engine.
  auto elsewhere = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--root", root_ + "-not-the-daemons", "--daemon", sock_});
    return ringc(args);
  };
  Cmd e = elsewhere({"exec", c, "sh", "-c", "echo in $(hostname); exit 4"});
  EXPECT_EQ(e.code, 4) << e.err;
  EXPECT_EQ(e.out, "in ringc\n");
  Cmd ps = elsewhere({"ps", c});
  EXPECT_EQ(ps.code, 0) << ps.err;
  EXPECT_TRUE(has(ps.out, "sleep 1000")) << ps.out;
  if (!missing_controller({"pids"})) {  // the pure-v2 view here has none
    EXPECT_EQ(elsewhere({"update", "--pids-limit", "77", c}).code, 0);
    EXPECT_EQ(cg_file(c, "pids", "pids.max", "pids.max"), "77");
  }
  Cmd st = elsewhere({"events", "--stats", c});
  EXPECT_EQ(st.code, 0) << st.err;
  EXPECT_TRUE(has(st.out, "\"type\":\"stats\"")) << st.out;
  Cmd none = elsewhere({"exec", id("nosuch"), "true"});
  EXPECT_EQ(none.code, 255);  // a runtime failure, as runc
  EXPECT_TRUE(has(none.err, "does not exist")) << none.err;
  EXPECT_TRUE(has(via({"state", c}).out, "\"status\": \"running\""));
  EXPECT_EQ(via({"delete", "--force", c}).code, 0);
}

// exec is the daemon's: its engine clones the process (the daemon is its
// parent), answers when it runs and again at its exit; the client passes
// its stdio, forwards signals as kills of that pid, and exits with the
// process's code, or 255 with why.
TEST_F(Daemon, ExecRunsOnTheDaemonsEngine) {
  std::string c = id("dx");
  ASSERT_EQ(via({"run", "-d", "-b", bundle({"sleep", "1000"}), c}).code, 0);
  Cmd e = via({"exec", "-e", "X=from-the-client", c, "sh", "-c", "echo $X; exit 5"});
  EXPECT_EQ(e.code, 5) << e.err;
  EXPECT_EQ(e.out, "from-the-client\n");

  std::string pid_path = root_ + ".exec.pid";
  Cmd d = via({"exec", "-d", "--pid-file", pid_path, c, "sleep", "1000"});
  ASSERT_EQ(d.code, 0) << d.err;
  pid_t pid = pid_t(std::atoi(slurp(pid_path).c_str()));
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(has(slurp("/proc/" + std::to_string(pid) + "/status"),
                  "PPid:\t" + std::to_string(serving_pid()) + "\n"))
      << "the exec'd process is not the daemon's child";
  EXPECT_TRUE(has(slurp("/proc/" + std::to_string(pid) + "/cgroup"), c));
  std::remove(pid_path.c_str());

  // A signal to the client goes to the process (sh's exec'd sleep).
  Running fg = ringc_async({"--daemon", sock_, "exec", c, "sh", "-c", "echo up; exec sleep 1000"});
  EXPECT_EQ(fg.read_line(), "up");
  ::kill(fg.pid, SIGTERM);
  EXPECT_EQ(fg.wait(), 128 + SIGTERM);

  Cmd bad = via({"exec", c, "/no/such/program"});
  EXPECT_EQ(bad.code, 255);
  EXPECT_TRUE(has(bad.err, "/no/such/program")) << bad.err;
  ASSERT_EQ(via({"pause", c}).code, 0);
  Cmd paused = via({"exec", c, "true"});
  EXPECT_EQ(paused.code, 255);
  EXPECT_TRUE(has(paused.err, "paused")) << paused.err;
  ASSERT_EQ(via({"resume", c}).code, 0);
  EXPECT_TRUE(has(via({"state", c}).out, "\"status\": \"running\""));
  EXPECT_EQ(via({"delete", "--force", c}).code, 0);
}

// A process that fails at once (no such program) is the daemon's child
// all the same: it is reaped, whichever of its error and its pid the
// engine reads first; a zombie left in the container's pid namespace
// would hold its init in its exit, and the delete with it.
TEST_F(Daemon, ExecsThatFailAtOnceAreAllReaped) {
  std::string c = id("df");
  ASSERT_EQ(via({"run", "-d", "-b", bundle({"sleep", "1000"}), c}).code, 0);
  for (int n = 0; n < 25; ++n) {
    Cmd bad = via({"exec", c, "/no/such/program"});
    ASSERT_EQ(bad.code, 255) << bad.err;
  }
  // Each is gone from the process table, not only answered for: no
  // zombie of the daemon's stays (the deadline covers a busy machine).
  auto zombies_of_the_daemon = [&] {
    int n = 0;
    for (auto& e : std::filesystem::directory_iterator("/proc")) {
      std::string stat = slurp(e.path().string() + "/stat");
      size_t close = stat.rfind(')');
      char state = 0;
      int ppid = 0;
      if (close != std::string::npos &&
          std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && state == 'Z' &&
          ppid == serving_pid())
        ++n;
    }
    return n;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (zombies_of_the_daemon() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(zombies_of_the_daemon(), 0) << "exec'd processes left unreaped";
  EXPECT_EQ(via({"delete", "--force", c}).code, 0);
}

// update is the daemon's: its engine asks the table and writes the cgroup,
// the client reads the file first (an error names it).
TEST_F(Daemon, UpdateRunsOnTheDaemonsEngine) {
  std::string c = id("up");
  ASSERT_EQ(via({"run", "-d", "-b", bundle({"sleep", "1000"}), c}).code, 0);
  if (!missing_controller({"pids"})) {
    Cmd u = via({"update", "--pids-limit", "77", c});
    EXPECT_EQ(u.code, 0) << u.err;
    EXPECT_EQ(cg_file(c, "pids", "pids.max", "pids.max"), "77");
    std::string file = root_ + ".update.json";
    std::ofstream(file) << R"({"pids": {"limit": 5}})";
    u = via({"update", "-r", file, "--pids-limit", "6", c});  // the flag wins, as in runc
    EXPECT_EQ(u.code, 0) << u.err;
    EXPECT_EQ(cg_file(c, "pids", "pids.max", "pids.max"), "6");
    std::ofstream(file) << R"({"pids": {"limit": "few"}})";
    u = via({"update", "-r", file, c});
    EXPECT_EQ(u.err, "ringc: " + file + ": /pids/limit: must be an integer\n");
    EXPECT_EQ(cg_file(c, "pids", "pids.max", "pids.max"), "6") << "a bad update changed something";
    std::remove(file.c_str());
  }
  Cmd none = via({"update", "--pids-limit", "5", id("nosuch")});
  EXPECT_EQ(none.code, 1);
  EXPECT_TRUE(has(none.err, "does not exist")) << none.err;
  ASSERT_EQ(via({"kill", c, "KILL"}).code, 0);
  ASSERT_EQ(via({"wait", c}).code, 128 + SIGKILL);
  Cmd stopped = via({"update", "--pids-limit", "5", c});
  EXPECT_EQ(stopped.code, 1);
  EXPECT_EQ(stopped.err, "ringc: cannot update container \"" + c + "\" in state stopped\n");
  EXPECT_EQ(via({"delete", c}).code, 0);
}

}  // namespace ringc::test
