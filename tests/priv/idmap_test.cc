// Id-mapped mounts (MOUNT_ATTR_IDMAP, runc 1.2's mount uidMappings and
// gidMappings, the idmap and ridmap options): a bind shows its files'
// owners through the mount's maps, and what the container writes lands
// on disk with the ids mapped back.
#include <sys/mount.h>
#include <sys/stat.h>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
const char* kMaps =
    "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}], "
    "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}]";

// A mount of `source` at `dest` with these options and extra fields.
std::string mount(const std::string& dest, const std::string& source, const std::string& options,
                  const std::string& extra = "") {
  return "{\"destination\": \"" + dest + "\", \"type\": \"bind\", \"source\": \"" + source +
         "\", \"options\": [" + options + "]" + (extra.empty() ? "" : ", " + extra) + "},";
}

// "uid gid name" of each entry of dir, as ls -ln shows them.
std::string list(const char* dir) {
  return std::string("ls -ln ") + dir + " | tail -n +2 | tr -s ' ' | cut -d' ' -f3,4,9; ";
}
}  // namespace

class IdMap : public Priv {
 protected:
  void SetUp() override {
    Priv::SetUp();
    src_ = root_ + ".idmap";
    ASSERT_EQ(::mkdir(src_.c_str(), 0755), 0);
    ASSERT_EQ(std::system(("touch " + src_ + "/by-root " + src_ + "/by-1000 && chown 1000:1000 " +
                           src_ + "/by-1000")
                              .c_str()),
              0);
  }
  void TearDown() override {
    if (sub_mounted_) ::umount2((src_ + "/sub").c_str(), MNT_DETACH);
    std::system(("rm -rf " + src_).c_str());
    Priv::TearDown();
  }
  std::string src_;
  bool sub_mounted_ = false;
};

// In a user namespace (0 -> 100000), a bind with the same maps shows the
// host's root-owned file as root's and 1000's as 1000's, where a plain bind
// shows nobody; a file root makes inside is root's on disk. Through the
// CLI and the daemon.
TEST_F(IdMap, AMountsMapsShowTheOwnersOnDisk) {
  std::string script =
      list("/tmp") + list("/root") + "touch /tmp/made && stat -c '%u %g' /tmp/made";
  std::string b = bundle({"sh", "-c", script}, [&](std::string& c) {
    with_user_namespace(c);
    replace(c, "\"mounts\": [",
            "\"mounts\": [" + mount("/tmp", src_, "\"bind\"", kMaps) +
                mount("/root", src_, "\"bind\""));
  });
  int n = 0;
  for (auto way : ways()) {
    Cmd r = ringc_via(way, {"run", "-b", b, id("idmap" + std::to_string(n++))});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out,
              "1000 1000 by-1000\n0 0 by-root\n"
              "65534 65534 by-1000\n65534 65534 by-root\n"
              "0 0\n");
    struct stat st;
    ASSERT_EQ(::stat((src_ + "/made").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(st.st_gid, 0u);
    ::unlink((src_ + "/made").c_str());
  }
}

// The idmap option alone maps as the container's user namespace does;
// ridmap covers a submount too, idmap only the top.
TEST_F(IdMap, TheOptionAloneTakesTheContainersMaps) {
  ASSERT_EQ(::mkdir((src_ + "/sub").c_str(), 0755), 0);
  ASSERT_EQ(::mount("tmpfs", (src_ + "/sub").c_str(), "tmpfs", 0, "mode=755"), 0);
  sub_mounted_ = true;
  ASSERT_EQ(std::system(("touch " + src_ + "/sub/in-sub").c_str()), 0);
  std::string script = list("/tmp") + list("/tmp/sub") + list("/root/sub");
  std::string b = bundle({"sh", "-c", script}, [&](std::string& c) {
    with_user_namespace(c);
    replace(c, "\"mounts\": [",
            "\"mounts\": [" + mount("/tmp", src_, "\"rbind\", \"ridmap\"") +
                mount("/root", src_, "\"rbind\", \"idmap\""));
  });
  Cmd r = ringc({"run", "-b", b, id("ridmap")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "1000 1000 by-1000\n0 0 by-root\n0 0 sub\n"
            "0 0 in-sub\n"
            "65534 65534 in-sub\n");
}

// Without a user namespace the mount's maps alone say what is shown:
// 1000 on disk as root, everything else unmapped (nobody).
TEST_F(IdMap, WithoutAUserNamespace) {
  std::string b = bundle({"sh", "-c", list("/tmp")}, [&](std::string& c) {
    replace(c, "\"mounts\": [",
            "\"mounts\": [" +
                mount("/tmp", src_, "\"bind\"",
                      "\"uidMappings\": [{\"containerID\": 1000, \"hostID\": 0, \"size\": 1}], "
                      "\"gidMappings\": [{\"containerID\": 1000, \"hostID\": 0, \"size\": 1}]"));
  });
  Cmd r = ringc({"run", "-b", b, id("idmap-nouserns")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0 0 by-1000\n65534 65534 by-root\n");
}

// What cannot be id-mapped is refused by field, and leaves nothing.
TEST_F(IdMap, RefusalsNameTheField) {
  struct Case {
    std::string mount, message;
    bool user;
  } cases[] = {
      {"{\"destination\": \"/tmp\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": "
       "[\"idmap\"]},",
       "/mounts/0/options: id-mapped mounts are only supported for bind mounts", true},
      {mount("/tmp", src_, "\"bind\"",
             "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]"),
       "/mounts/0/gidMappings: an id-mapped mount needs both uidMappings and gidMappings", true},
      {mount("/tmp", src_, "\"bind\", \"idmap\""),
       "/mounts/0/options: \"idmap\" without the mount's own uidMappings and gidMappings maps ids "
       "as the container's user namespace does, and it has none",
       false},
  };
  for (auto& k : cases) {
    std::string b = bundle({"true"}, [&](std::string& c) {
      if (k.user) with_user_namespace(c);
      replace(c, "\"mounts\": [", "\"mounts\": [" + k.mount);
    });
    Cmd r = ringc({"run", "-b", b, id("idmap-bad")});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(k.message), std::string::npos) << r.err;
  }
}

}  // namespace ringc::test
