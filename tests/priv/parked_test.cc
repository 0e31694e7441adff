// Parked inits (docs/pools.md): a daemon's pool of containers of a bundle,
// set up and waiting for start, taken by runs of that bundle. A run from
// the pool reads as any run (its id, its stdio, its exit code, nothing of
// it left after), the pool refills, nothing a run leaves in its container
// reaches the next, and parked inits never outlive their daemon.
#include <fcntl.h>
#include <linux/kcmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/priv/daemon_fixture.h"

namespace ringc::test {
namespace {

class Parked : public Daemon {
 protected:
  // Asks for a pool of n and waits (20 s) until n of it are ready.
  void park(const std::string& b, int n) {
    Client c(sock_);
    ASSERT_TRUE(c.connected());
    std::string r = c.call(fmt::format(R"({{"op":"pool","bundle":"{}","size":{}}})", b, n));
    ASSERT_TRUE(has(r, "\"ok\":true")) << r;
    ASSERT_TRUE(ready(b, n)) << stats();
  }
  // The pool of b says `n` ready within 20 s (it refills in the background).
  bool ready(const std::string& b, int n) {
    std::string want = fmt::format("\"bundle\":\"{}\",\"size\":{},\"ready\":{},", b, n, n);
    for (int i = 0; i < 2000; ++i) {
      if (has(stats(), want)) return true;
      ::usleep(10'000);
    }
    return false;
  }
  std::string stats() {
    Client c(sock_);
    return c.call(R"({"op":"stats"})");
  }
  // The ids ringc list shows, one per line.
  std::string ids() { return ringc({"list", "-q"}).out; }
  // The first parked init's id ("" when none).
  std::string parked_id() {
    std::string l = ids();
    size_t at = l.find("ringc-parked-");
    return at == std::string::npos ? "" : l.substr(at, l.find('\n', at) - at);
  }
  // A create of b through the daemon as c, its stdout (which the program
  // gets at start) the file out.
  Cmd create_to(const std::string& b, const std::string& c, const std::string& out) {
    return ringc_with({"--daemon", sock_, "create", "-b", b, c}, [&] {
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
    });
  }
  int parked_count() {
    std::string l = ids();
    int n = 0;
    for (size_t at = 0; (at = l.find("ringc-parked-", at)) != std::string::npos; ++at) ++n;
    return n;
  }
};

TEST_F(Parked, ARunOfTheBundleTakesOneWithItsIdStdioAndExitCode) {
  std::string b = bundle({"sh", "-c", "echo out; read x; echo got-$x; echo err >&2; exit 3"});
  park(b, 2);
  EXPECT_EQ(parked_count(), 2) << ids();

  std::string c = id("warm");
  std::string in = root_ + ".stdin";
  {
    FILE* f = std::fopen(in.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("hi\n", f);
    std::fclose(f);
  }
  Cmd r = ringc_with({"--daemon", sock_, "run", "-b", b, c}, [&] {
    int fd = ::open(in.c_str(), O_RDONLY);
    ::dup2(fd, 0);
  });
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_EQ(r.out, "out\ngot-hi\n");
  EXPECT_EQ(r.err, "err\n");
  std::string st = stats();
  EXPECT_TRUE(has(st, "\"hits\":1,\"misses\":0")) << st;
  // Deleted after its exit as any foreground run; the pool is full again.
  EXPECT_FALSE(has(ids(), c));
  EXPECT_FALSE(cgroup_exists(c));
  EXPECT_TRUE(ready(b, 2)) << stats();
  EXPECT_EQ(parked_count(), 2) << ids();
  // Three made (two, then the one taken replaced): how long one took to
  // make, and how many the pool made per second while it refilled.
  st = stats();
  auto figure = [&](const std::string& key) {
    size_t at = st.find("\"" + key + "\":");
    return at == std::string::npos ? -1.0 : std::atof(st.c_str() + at + key.size() + 3);
  };
  EXPECT_EQ(figure("made"), 3) << st;
  EXPECT_GT(figure("refill_ms"), 0) << st;
  EXPECT_GT(figure("refills_per_second"), 0) << st;
}

TEST_F(Parked, ADetachedRunIsAContainerLikeAnyOther) {
  std::string b = bundle({"sleep", "1000"});
  park(b, 1);
  std::string parked = ids();
  parked.pop_back();  // its id, for the check that it is gone under that name
  std::string c = id("warm-d");
  ASSERT_EQ(via({"run", "-d", "-b", b, c}).code, 0);
  Cmd s = ringc({"state", c});  // the record, read without the daemon
  EXPECT_TRUE(has(s.out, "\"status\": \"running\"")) << s.out;
  EXPECT_TRUE(has(s.out, "\"id\": \"" + c + "\"")) << s.out;
  EXPECT_NE(ringc({"state", parked}).code, 0);  // renamed, not copied
  // What would change a parked init for the run that takes it is refused.
  ASSERT_TRUE(ready(b, 1)) << stats();
  std::string next = parked_id();
  // (A pause the table refuses already: created.)
  EXPECT_NE(via({"pause", next}).code, 0);
  for (auto verb : std::vector<std::vector<std::string>>{
           {"start", next}, {"exec", next, "true"}, {"update", "--pids-limit", "9", next}}) {
    Cmd r = via(verb);
    EXPECT_NE(r.code, 0) << verb[0];
    EXPECT_TRUE(has(r.err, "is parked for runs of " + b)) << verb[0] << ": " << r.err;
  }
  EXPECT_EQ(via({"kill", c, "KILL"}).code, 0);
  EXPECT_EQ(via({"wait", c}).out, "137\n");
  EXPECT_EQ(via({"delete", c}).code, 0);
  EXPECT_FALSE(has(ids(), c));
  // A second run of the bundle while the pool refills may find none ready:
  // then it starts cold, and says so in the stats.
  std::string again = id("warm-2");
  ASSERT_EQ(via({"run", "-d", "-b", b, again}).code, 0);
  EXPECT_TRUE(has(ringc({"state", again}).out, "\"status\": \"running\""));
  EXPECT_EQ(via({"delete", "--force", again}).code, 0);
  std::string st = stats();
  EXPECT_TRUE(has(st, "\"hits\":2,\"misses\":0") || has(st, "\"hits\":1,\"misses\":1")) << st;
}

// A create of the bundle takes one too: created under its id (its
// record, `state`), holding the client's stdio until `start`, which sends
// it with the start byte; then a container like any other.
TEST_F(Parked, ACreateTakesOneAndStartRunsIt) {
  std::string b = bundle({"sh", "-c", "echo started-$(hostname); exit 5"});
  park(b, 1);
  std::string parked = parked_id();
  auto created = [&](const std::string& id) {
    std::string st = ringc({"state", id}).out;
    size_t at = st.find("\"created\": \"");
    return at == std::string::npos ? std::string() : st.substr(at + 12, 30);
  };
  std::string parked_at = created(parked);
  ASSERT_FALSE(parked_at.empty());
  std::string c = id("warm-c");
  std::string out = root_ + ".create-out";
  Cmd r = create_to(b, c, out);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(stats(), "\"hits\":1,\"misses\":0")) << stats();
  Cmd s = ringc({"state", c});
  EXPECT_TRUE(has(s.out, "\"status\": \"created\"")) << s.out;
  EXPECT_NE(ringc({"state", parked}).code, 0);  // renamed
  EXPECT_GT(created(c), parked_at);             // created when the client asked
  EXPECT_EQ(slurp(out), "");                    // nothing ran yet
  ASSERT_EQ(via({"start", c}).code, 0);
  EXPECT_EQ(via({"wait", c}).out, "5\n");
  EXPECT_EQ(slurp(out), "started-ringc\n");  // the create's stdout, sent with the start byte
  EXPECT_EQ(via({"delete", c}).code, 0);
  EXPECT_FALSE(has(ids(), c));
  EXPECT_FALSE(cgroup_exists(c));
  EXPECT_TRUE(ready(b, 1)) << stats();  // refilled
}

// A parked init waits as SCHED_IDLE (its refill never delays a start);
// its program runs as a cold one would, SCHED_OTHER: the daemon ends the
// idle policy before the start byte (the init, its CAP_SYS_NICE dropped,
// could not). /proc/PID/stat's 41st field is the policy (5: SCHED_IDLE).
TEST_F(Parked, ItsProgramRunsAsAColdOneWouldNotIdle) {
  std::string b = bundle({"sh", "-c", "cut -d' ' -f41 /proc/self/stat; exit 4"});
  park(b, 2);
  std::string parked = parked_id();
  Cmd st = ringc({"state", parked});
  size_t at = st.out.find("\"pid\": ");
  ASSERT_NE(at, std::string::npos) << st.out;
  int pid = std::atoi(st.out.c_str() + at + 7);
  ASSERT_GT(pid, 0) << st.out;
  std::string stat = slurp(fmt::format("/proc/{}/stat", pid));
  size_t close = stat.rfind(')');  // fields after the comm, from the 3rd
  int field = 2;
  std::string policy;
  for (size_t i = close + 1; i < stat.size() && field < 41; ++i)
    if (stat[i] == ' ' && ++field == 41) policy = stat.substr(i + 1, stat.find(' ', i + 1) - i - 1);
  EXPECT_EQ(policy, "5") << "a parked init waits as SCHED_IDLE: " << stat;
  // Cloned from the daemon, it has none of the daemon's rings mapped
  // (unless it runs in the daemon's own memory: RINGC_SHARED_CLONE=1).
  if (syscall(SYS_kcmp, serving_pid(), pid, KCMP_VM, 0, 0) != 0) {
    std::string maps = slurp(fmt::format("/proc/{}/maps", pid));
    EXPECT_FALSE(has(maps, "io_uring")) << maps;
  }

  Cmd r = via({"run", "-b", b, id("pol-run")});
  EXPECT_EQ(r.code, 4) << r.err;
  EXPECT_EQ(r.out, "0\n");  // SCHED_OTHER
  std::string c = id("pol-c");
  std::string out = root_ + ".policy-out";
  Cmd cr = create_to(b, c, out);
  ASSERT_EQ(cr.code, 0) << cr.err;
  ASSERT_EQ(via({"start", c}).code, 0);
  EXPECT_EQ(via({"wait", c}).out, "4\n");
  EXPECT_EQ(slurp(out), "0\n");
  EXPECT_EQ(via({"delete", c}).code, 0);
  EXPECT_TRUE(has(stats(), "\"hits\":2,\"misses\":0")) << stats();
}

// Nothing a run leaves in its container reaches the next run from the
// pool: each parked init has namespaces, tmpfs mounts and a cgroup of its
// own. The first leaves files in /dev and /dev/shm and a listening socket,
// and stays; the next (of another pool, made meanwhile) looks for them.
TEST_F(Parked, NothingOneRunLeavesReachesTheNext) {
  std::string b = bundle({"sh", "-c", "touch /dev/left /dev/shm/left; nc -l -p 7777"});
  std::string b2 = bundle(
      {"sh", "-c", "ls /dev/left /dev/shm/left 2>/dev/null; netstat -ltn | grep -c 7777; true"});
  park(b, 1);
  park(b2, 1);
  std::string first = id("leaver");
  ASSERT_EQ(via({"run", "-d", "-b", b, first}).code, 0);
  bool listening = false;
  for (int i = 0; i < 200 && !listening; ++i) {
    listening = has(via({"exec", first, "netstat", "-ltn"}).out, ":7777");
    if (!listening) ::usleep(50'000);
  }
  ASSERT_TRUE(listening);
  EXPECT_EQ(via({"exec", first, "ls", "/dev/shm"}).out, "left\n");
  Cmd look = via({"run", "-b", b2, id("looker")});
  EXPECT_EQ(look.code, 0) << look.err;
  EXPECT_EQ(look.out, "0\n") << look.err;  // no file listed, no listener
  EXPECT_TRUE(has(stats(), "\"hits\":1")) << stats();
  EXPECT_EQ(via({"delete", "--force", first}).code, 0);
}

// A pool declared again reads config.json anew: the next run is the new
// config's, not an init parked from the old one.
TEST_F(Parked, APoolDeclaredAgainServesTheConfigAsItIsNow) {
  std::string b = bundle({"echo", "old"});
  park(b, 2);
  std::string config = slurp(b + "/config.json");
  replace(config, "\"old\"", "\"new\"");
  {
    FILE* f = std::fopen((b + "/config.json").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(config.c_str(), f);
    std::fclose(f);
  }
  park(b, 2);
  Cmd r = via({"run", "-b", b, id("again")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "new\n");
  EXPECT_TRUE(has(stats(), "\"hits\":1")) << stats();
}

TEST_F(Parked, WhatAParkedInitCannotServeIsRefusedByName) {
  Client c(sock_);
  std::string hooks = bundle({"true"}, [](std::string& j) {
    replace(j, "\"linux\": {", R"("hooks": {"prestart": [{"path": "/bin/true"}]}, "linux": {)");
  });
  std::string r = c.call(fmt::format(R"({{"op":"pool","bundle":"{}","size":1}})", hooks));
  EXPECT_TRUE(has(r, "/hooks: a parked init cannot run hooks")) << r;
  std::string cg = bundle({"true"}, [](std::string& j) {
    replace(j, "\"linux\": {", R"("linux": {"cgroupsPath": "/fixed",)");
  });
  r = c.call(fmt::format(R"({{"op":"pool","bundle":"{}","size":1}})", cg));
  EXPECT_TRUE(has(r, "/linux/cgroupsPath: every parked init needs a cgroup")) << r;
  std::string notify = bundle({"true"}, [](std::string& j) {
    replace(j, "\"linux\": {",
            R"("linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/a.sock",
               "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]},)");
  });
  r = c.call(fmt::format(R"({{"op":"pool","bundle":"{}","size":1}})", notify));
  EXPECT_TRUE(has(r, "/linux/seccomp/listenerPath: a parked init's seccomp agent")) << r;
  r = c.call(R"({"op":"pool","bundle":"relative","size":1})");
  EXPECT_TRUE(has(r, "/bundle: an absolute path is needed")) << r;
  r = c.call(R"({"op":"pool","bundle":"/nonexistent/bundle"})");
  EXPECT_TRUE(has(r, "/size: missing")) << r;
  EXPECT_EQ(ids(), "");
}

// A daemon that stops removes its parked inits; one killed before it could
// leaves them to the daemon after it, which removes them.
TEST_F(Parked, ParkedInitsDoNotOutliveTheirDaemon) {
  std::string b = bundle({"true"});
  park(b, 2);
  pid_t d = serving_pid();
  ASSERT_EQ(kill(d, SIGKILL), 0);
  pid_t next = restarted_after(d);
  ASSERT_GT(next, 0);
  for (int i = 0; i < 2000 && parked_count() > 0; ++i) ::usleep(10'000);
  EXPECT_EQ(parked_count(), 0) << ids();

  park(b, 2);
  std::string parked = ids();
  ASSERT_EQ(kill(daemon_.pid, SIGTERM), 0);
  EXPECT_EQ(daemon_.wait(), 0);
  daemon_.pid = -1;
  EXPECT_EQ(ids(), "");
  for (size_t at = 0, nl; (nl = parked.find('\n', at)) != std::string::npos; at = nl + 1)
    EXPECT_FALSE(cgroup_exists(parked.substr(at, nl - at))) << parked.substr(at, nl - at);
}

// A memory budget (daemon --pool-memory) bounds what the parked inits of
// every pool hold together, as their cgroups are charged: a pool of 64
// under a 2 MiB budget stops short of its size, says so, and refills up
// to the budget again after a run takes one.
TEST_F(Parked, AMemoryBudgetBoundsThePool) {
  RINGC_NEED_CONTROLLERS("memory");
  kill(daemon_.pid, SIGTERM);
  ASSERT_EQ(daemon_.wait(), 0);
  daemon_ =
      ringc_async({"daemon", "--socket", sock_, "--pid-file", pid_file(), "--pool-memory", "2"});
  ASSERT_TRUE(has(daemon_.read_line(), "listening on " + sock_));
  std::string b = bundle({"true"});
  Client c(sock_);
  ASSERT_TRUE(
      has(c.call(fmt::format(R"({{"op":"pool","bundle":"{}","size":64}})", b)), "\"ok\":true"));
  auto figure = [](const std::string& st, const std::string& key) {
    size_t at = st.find("\"" + key + "\":", st.find("\"parked\":["));
    return at == std::string::npos ? -1 : std::atol(st.c_str() + at + key.size() + 3);
  };
  // Settled: nothing being made or removed, held by the budget, every
  // parked init listed ready (its record written).
  auto settled = [&] {
    for (int i = 0; i < 2000; ++i) {
      std::string st = stats();
      if (has(st, "\"making\":0,") && has(st, "\"over_budget\":true") &&
          has(st, "\"deleting\":0}") && figure(st, "ready") == parked_count())
        return st;
      ::usleep(10'000);
    }
    return stats();
  };
  std::string st = settled();
  ASSERT_TRUE(has(st, "\"over_budget\":true")) << st;
  long ready = figure(st, "ready");
  EXPECT_GE(ready, 1) << st;
  EXPECT_LT(ready, 64) << st;
  EXPECT_LE(figure(st, "memory_kib"), 2048) << st;
  EXPECT_EQ(parked_count(), ready) << ringc({"list"}).out << st;

  EXPECT_EQ(via({"run", "-b", b, id("budget")}).code, 0);
  st = settled();
  EXPECT_EQ(figure(st, "hits"), 1) << st;
  EXPECT_GE(figure(st, "ready"), ready - 1) << st;
  EXPECT_LE(figure(st, "memory_kib"), 2048) << st;
}

}  // namespace
}  // namespace ringc::test
