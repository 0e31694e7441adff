// Nothing lost: damaged state records, a record too large to write, a
// create cut short before its first write. One `delete --force` leaves no
// state entry, cgroup or process of the id, and the id can be used again.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
int pid_of(const std::string& state_json) {
  size_t at = state_json.find("\"pid\": ");
  return at == std::string::npos ? 0 : std::atoi(state_json.c_str() + at + 7);
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}
}  // namespace

// Each kind of damage: list shows the entry with its error, delete --force
// kills the init and removes every cgroup directory of the id (the path a
// damaged record still names, else the id's default), and the id is free.
TEST_F(Priv, DamagedRecordsAreClearedByDeleteForce) {
  std::string b = bundle({"sleep", "600"});
  const std::vector<std::pair<std::string, std::function<void(const std::string&)>>> kinds = {
      {"empty", [](const std::string& f) { write_bytes(f, ""); }},
      {"garbage", [](const std::string& f) { write_bytes(f, "not a record\n"); }},
      {"truncated",
       [](const std::string& f) {
         std::string all = slurp(f);
         write_bytes(f, all.substr(0, all.size() / 2));
       }},
      {"checksum",
       [](const std::string& f) {
         std::string all = slurp(f);
         all[all.size() - 1] ^= 0x55;
         write_bytes(f, all);
       }},
      {"directory",
       [](const std::string& f) {
         ::unlink(f.c_str());
         ::mkdir(f.c_str(), 0700);
         ::mkdir((f + "/x").c_str(), 0700);
       }},
  };
  for (auto& [kind, damage] : kinds) {
    std::string c = id("damaged-" + kind);
    ASSERT_EQ(ringc({"create", "-b", b, c}).code, 0) << kind;
    int pid = pid_of(ringc({"state", c}).out);
    ASSERT_GT(pid, 0) << kind;
    damage(root_ + "/" + c + "/state");
    Cmd l = ringc({"list"});
    EXPECT_EQ(l.code, 0);
    EXPECT_NE(l.out.find(c), std::string::npos) << kind << ": not listed\n" << l.out;
    EXPECT_NE(l.out.find("unknown"), std::string::npos) << kind << "\n" << l.out;
    Cmd st = ringc({"state", c});
    EXPECT_NE(st.code, 0) << kind;
    EXPECT_NE(st.err.find("state record"), std::string::npos) << kind << ": " << st.err;
    Cmd d = ringc({"delete", "--force", c});
    EXPECT_EQ(d.code, 0) << kind << ": " << d.err;
    wait_gone(pid);
    EXPECT_FALSE(cgroup_exists(c)) << kind;
    struct stat sb;
    EXPECT_NE(::stat((root_ + "/" + c).c_str(), &sb), 0) << kind;
    // The id is free, and the new container has a cgroup of its own.
    ASSERT_EQ(ringc({"run", "-d", "-b", b, c}).code, 0) << kind;
    EXPECT_EQ(ringc({"delete", "--force", c}).code, 0) << kind;
  }
}

// A create killed between its claim and its first write leaves a bare
// directory: delete --force removes it (and the id's default cgroup).
TEST_F(Priv, AClaimWithoutARecordIsClearedByDeleteForce) {
  std::string c = id("bare-claim");
  ASSERT_EQ(::mkdir((root_ + "/" + c).c_str(), 0711), 0);
  write_bytes(root_ + "/" + c + "/state.tmp.12345", "half");
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
  struct stat sb;
  EXPECT_NE(::stat((root_ + "/" + c).c_str(), &sb), 0);
  EXPECT_EQ(ringc({"run", "-b", bundle({"true"}), c}).code, 0);
}

// A config whose record would be over the 1 MiB limit (3 MB of
// annotations) is refused at create, before anything is made.
TEST_F(Priv, ARecordOverTheLimitIsRefusedAtCreate) {
  std::string b = bundle({"true"}, [](std::string& c) {
    replace(c, "\"ociVersion\"",
            "\"annotations\": {\"big\": \"" + std::string(3 << 20, 'x') + "\"}, \"ociVersion\"");
  });
  std::string c = id("huge");
  Cmd r = ringc({"create", "-b", b, c});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("state record would be"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("over the 1048576 byte limit"), std::string::npos) << r.err;
  struct stat sb;
  EXPECT_NE(::stat((root_ + "/" + c).c_str(), &sb), 0);
  EXPECT_FALSE(cgroup_exists(c));
}

}  // namespace ringc::test
