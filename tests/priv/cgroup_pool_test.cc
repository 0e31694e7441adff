// Recycled cgroup paths (core/pool/cgroup_pool.h) on a real kernel: the
// check that decides whether a kept directory serves the next container,
// and containers that take one path in turn, each reading the counters
// of a fresh cgroup.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "cgroup/files.h"
#include "cgroup/layout.h"
#include "core/pool/cgroup_pool.h"
#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const cgroup::Hierarchy* v1(const char* controller) {
  auto host = cgroup::detect();
  return host ? host.value()->v1(controller) : nullptr;
}

// A child that joins dir (its tasks file), runs f, and exits; waited for.
template <class F>
void in_cgroup(const std::string& dir, F&& f) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (cgroup::write_text(dir + "/tasks", "0") < 0) ::_exit(1);
    f();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void burn_cpu(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

// A directory of one v1 hierarchy, removed at the end.
struct Dir {
  explicit Dir(const cgroup::Hierarchy& h)
      : path(h.mount + "/ringc-pooltest-" + std::to_string(::getpid())) {
    ::mkdir(path.c_str(), 0755);
    if (h.controllers.find("cpuset") != std::string::npos)
      for (const char* f : {"/cpuset.cpus", "/cpuset.mems"})
        cgroup::write_text(path + f, cgroup::read_text(h.mount + f));
  }
  ~Dir() { ::rmdir(path.c_str()); }
  std::string path;
};
}  // namespace

// Each condition of the check, on real directories: a process still in
// it, a freezer left frozen, more than one process counted by pids.peak,
// cpuacct ticks (which have no reset); and a directory only the init was
// in comes back reset.
TEST_F(Priv, ARecycledCgroupIsCheckedAndReset) {
  const cgroup::Hierarchy* pids = v1("pids");
  const cgroup::Hierarchy* acct = v1("cpuacct");
  const cgroup::Hierarchy* freezer = v1("freezer");
  if (!pids || !acct || !freezer)
    GTEST_SKIP() << "no v1 pids, cpuacct and freezer: every directory is made fresh (pure v2)";
  {
    Dir d(*pids);
    in_cgroup(d.path, [] {});
    EXPECT_EQ(CgroupPool::reuse(*pids, d.path).value_or(""), "");
    in_cgroup(d.path, [] {
      // Three children of its own at once (none of theirs: one left to
      // init would be reaped after this returns, still in the cgroup).
      for (int k = 0; k < 3; ++k)
        if (::fork() == 0) {
          ::usleep(20000);
          ::_exit(0);
        }
      while (::wait(nullptr) > 0) {
      }
    });
    EXPECT_TRUE(has(CgroupPool::reuse(*pids, d.path).value_or(""), "pids.peak above 1"));
  }
  {
    Dir d(*acct);
    in_cgroup(d.path, [] { burn_cpu(std::chrono::milliseconds(1)); });
    auto why = CgroupPool::reuse(*acct, d.path);
    // A millisecond rarely lands on a tick; when it does, it is said.
    if (why) {
      EXPECT_TRUE(has(*why, "cpuacct.stat counted ticks")) << *why;
    } else {
      EXPECT_EQ(cgroup::read_text(d.path + "/cpuacct.usage"), "0\n");
    }
    in_cgroup(d.path, [] { burn_cpu(std::chrono::milliseconds(200)); });
    why = CgroupPool::reuse(*acct, d.path);
    EXPECT_TRUE(has(why.value_or(""), "cpuacct.stat counted ticks")) << why.value_or("(reusable)");
  }
  {
    Dir d(*freezer);
    pid_t pid = ::fork();
    if (pid == 0) {
      cgroup::write_text(d.path + "/tasks", "0");
      ::pause();
      ::_exit(0);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (cgroup::read_text(d.path + "/cgroup.procs").empty() &&
           std::chrono::steady_clock::now() < deadline)
      ::usleep(1000);
    EXPECT_TRUE(has(CgroupPool::reuse(*freezer, d.path).value_or(""), "still holds processes"));
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    cgroup::write_text(d.path + "/freezer.state", "FROZEN");
    EXPECT_TRUE(has(CgroupPool::reuse(*freezer, d.path).value_or(""), "is frozen"));
    cgroup::write_text(d.path + "/freezer.state", "THAWED");
  }
}

// Three containers of a batch one after another on one pooled path: the
// first forks and burns CPU, and neither of the others reads its
// counters (pids.peak, cpuacct.usage): its directories were remade or
// reset. The report says what the pool did.
TEST_F(Priv, ContainersRecyclingACgroupFindNothingOfEachOther) {
  if (!v1("pids") || !v1("cpuacct") || v1("cpuacct") == v1("cpu"))
    GTEST_SKIP() << "needs v1 pids and cpuacct hierarchies of their own (pure v2 makes every "
                    "directory fresh)";
  std::string out = root_ + ".out";
  ASSERT_EQ(::mkdir(out.c_str(), 0777), 0);
  std::string b = bundle(
      {"sh", "-c",
       "if [ -e /out/1 ]; then n=2; elif [ -e /out/0 ]; then n=1; else n=0; fi; echo > /out/$n; "
       "if [ $n = 0 ]; then i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; "
       "sleep 0.05 & sleep 0.05 & wait; fi; read p < /sys/fs/cgroup/pids/pids.peak; "
       "read u < /sys/fs/cgroup/cpuacct/cpuacct.usage; echo c$n $p $u"},
      [&](std::string& json) {
        size_t at = json.find("\"mounts\": [");
        json.insert(at + 11, "{\"destination\": \"/out\", \"type\": \"bind\", \"source\": \"" +
                                 out + "\", \"options\": [\"rbind\"]},");
      });
  Cmd r = ringc({"batch", "-b", b, "--count", "3", "--parallel", "1", "--pool-cgroups", "1",
                 "--id-prefix", id("cgpool"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(has(r.out, "\"ok\":3,\"failed\":0")) << r.out;
  auto counters = [&](int n, long long& peak, long long& usage) {
    size_t at = r.out.find("c" + std::to_string(n) + " ");
    ASSERT_NE(at, std::string::npos) << r.out;
    char* end = nullptr;
    peak = std::strtoll(r.out.c_str() + at + 3, &end, 10);
    usage = std::strtoll(end, nullptr, 10);
  };
  long long peak0, usage0, peak1, usage1, peak2, usage2;
  counters(0, peak0, usage0);
  counters(1, peak1, usage1);
  counters(2, peak2, usage2);
  EXPECT_GE(peak0, 3);
  EXPECT_EQ(peak1, 1) << r.out;  // its own init alone: the first's peak is not there
  EXPECT_EQ(peak2, 1) << r.out;
  EXPECT_LT(usage1, usage0 / 2) << r.out;
  EXPECT_LT(usage2, usage0 / 2) << r.out;
  EXPECT_TRUE(has(r.out, "\"cgroup_pool\":{\"hits\":2,\"misses\":1,\"full\":0,")) << r.out;
  EXPECT_TRUE(has(r.out, "pids.peak above 1")) << r.out;  // the first's, remade
  std::system(("rm -rf " + out).c_str());
}

}  // namespace ringc::test
