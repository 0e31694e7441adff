// The engine's code on transparent huge pages (core/base/hugetext.h): the
// daemon moves it there at its start, and its inits, cloned from it, run
// and exec as ever.
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "tests/priv/daemon_fixture.h"

namespace ringc::test {

namespace {
// KiB on huge pages in the process's anonymous executable mappings, or -1
// when it has none (its code is still the file's mapping).
long anon_code_huge_kib(pid_t pid) {
  std::ifstream f(fmt::format("/proc/{}/smaps", pid));
  std::string line;
  bool code = false, any = false;
  long kib = 0;
  while (std::getline(f, line)) {
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, path;
    if (line.find('-') < line.find(' ') && (in >> range >> perms >> offset >> dev >> inode)) {
      in >> path;
      code = perms == "r-xp" && inode == "0" && path.empty();
      any |= code;
    } else if (code && line.rfind("AnonHugePages:", 0) == 0) {
      kib += std::stol(line.substr(14));
    }
  }
  return any ? kib : -1;
}
}  // namespace

TEST_F(Daemon, RunsItsCodeFromHugePagesAndItsInitsCloneFromIt) {
  std::string thp = slurp("/sys/kernel/mm/transparent_hugepage/enabled");
  if (thp.empty() || thp.find("[never]") != std::string::npos)
    GTEST_SKIP() << "transparent huge pages are off on this host: " << thp;
  long kib = anon_code_huge_kib(serving_pid());
  ASSERT_GE(kib, 0) << "the daemon's code is still the file's mapping";
  EXPECT_GE(kib, 2048) << "no 2 MiB page of the daemon's code is a huge page";
  std::string prefix = id("ht");
  Cmd r = via(
      {"batch", "-b", bundle({"true"}), "--count", "40", "--parallel", "8", "--id-prefix", prefix});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(has(r.out, "40 ok, 0 failed")) << r.out;
  std::string c = id("ht-run");
  Cmd fg = via({"run", "-b", bundle({"sh", "-c", "echo hi; exit 3"}), "--rm", c});
  EXPECT_EQ(fg.code, 3) << fg.err;
  EXPECT_EQ(fg.out, "hi\n");
}

// RINGC_HUGETEXT=0 leaves the code as mapped (perf's symbols come from the
// file mapping).
TEST_F(Daemon, LeavesItsCodeAsMappedWhenToldTo) {
  kill(daemon_.pid, SIGTERM);
  ASSERT_EQ(daemon_.wait(), 0);
  {
    ScopedEnv env("RINGC_HUGETEXT", "0");
    start_daemon();
  }
  EXPECT_EQ(anon_code_huge_kib(serving_pid()), -1);
  Cmd r = via({"batch", "-b", bundle({"true"}), "--count", "10", "--parallel", "4", "--id-prefix",
               id("nh")});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
}

}  // namespace ringc::test
