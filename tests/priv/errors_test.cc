// Bad input: one clear line, exit 1, and nothing left behind (no state
// directory, no cgroup, no process: checked in TearDown and here).
#include <sys/stat.h>
#include <cstdio>
#include <fstream>

#include "tests/priv/harness.h"

namespace ringc::test {

TEST_F(Priv, MalformedConfigNamesTheField) {
  std::string b =
      bundle({"true"}, [](std::string& c) { replace(c, "\"args\": [\"true\"]", "\"args\": []"); });
  std::string c = id("badcfg");
  Cmd r = ringc({"create", "-b", b, c});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "ringc: " + b + "/config.json: /process/args: must be a non-empty array of strings\n");
}

TEST_F(Priv, MissingBundle) {
  Cmd r = ringc({"create", "-b", "/nonexistent/bundle", id("nob")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: bundle /nonexistent/bundle: no such file or directory\n");
}

TEST_F(Priv, MissingRootfs) {
  std::string b = bundle({"true"}, [](std::string& c) {
    size_t at = c.find("\"path\": \"");
    c.replace(at, c.find('"', at + 9) - at + 1, "\"path\": \"nope\"");
  });
  Cmd r = ringc({"create", "-b", b, id("norootfs")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: rootfs " + b + "/nope: no such file or directory\n");
}

TEST_F(Priv, ProgramNotFoundFailsCreateAndLeavesNothing) {
  std::string b = bundle({"no-such-program"});
  std::string c = id("noexec");
  Cmd r = ringc({"create", "-b", b, c});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "ringc: exec: \"no-such-program\": executable file not found in $PATH: no such file or "
            "directory\n");
  EXPECT_EQ(ringc({"state", c}).code, 1);
}

TEST_F(Priv, FailedMountLeavesNothing) {
  std::string b = bundle({"true"}, [](std::string& c) {
    replace(
        c, "\"mounts\": [",
        "\"mounts\": [{\"destination\": \"/x\", \"type\": \"nosuchfs\", \"source\": \"none\"},");
  });
  std::string c = id("badmount");
  Cmd r = ringc({"run", "-b", b, c});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: mount /x: no such device\n");
}

TEST_F(Priv, InvalidIdsMakeNothing) {
  for (std::string bad : {"a/b", "..", ""}) {
    Cmd r = ringc({"create", "-b", bundle({"true"}), bad});
    EXPECT_EQ(r.code, 1) << bad;
    EXPECT_NE(r.err.find("invalid container id"), std::string::npos) << r.err;
  }
  std::string long_id(1025, 'x');
  EXPECT_EQ(ringc({"create", "-b", bundle({"true"}), long_id}).code, 1);
  EXPECT_EQ(ringc({"list", "-q"}).out, "");
}

TEST_F(Priv, UnknownContainer) {
  for (std::string verb : {"state", "start", "kill", "delete"}) {
    Cmd r = ringc({verb, "ghost"});
    EXPECT_EQ(r.code, 1) << verb;
    EXPECT_EQ(r.err, "ringc: container \"ghost\" does not exist\n") << verb;
  }
}

TEST_F(Priv, JsonLogFile) {
  std::string log = root_ + ".log";
  Cmd r = ringc({"--log", log, "--log-format=json", "start", "ghost"});
  EXPECT_EQ(r.code, 1);
  // runc's final error reaches stderr too, for clients that read it there.
  EXPECT_EQ(r.err, "ringc: container \"ghost\" does not exist\n");
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(
      line.rfind(
          "{\"level\":\"error\",\"msg\":\"container \\\"ghost\\\" does not exist\",\"time\":\"", 0),
      0u)
      << line;
  std::remove(log.c_str());
}

// Rootfs copies with a link at /LINK to a host path TARGET (absent), and
// bundles that mount a tmpfs at each of dests and `grep -c` the given
// mount points in /proc/mounts. cleanup() removes the copy and target.
struct LinkedRootfs {
  std::string rootfs, target;
  void cleanup() const { std::system(("rm -rf " + rootfs + " " + target).c_str()); }
};

class Links : public Priv {
 protected:
  LinkedRootfs linked_rootfs(const std::string& name, const std::string& link) {
    LinkedRootfs l{root_ + "." + name + "root", root_ + "." + name};
    std::system(("cp -a " + rootfs_ + " " + l.rootfs).c_str());
    std::system(("ln -s " + l.target + " " + l.rootfs + "/" + link).c_str());
    return l;
  }
  std::string mounting_bundle(const LinkedRootfs& l, const std::vector<std::string>& dests,
                              const std::vector<std::string>& seen) {
    std::string grep = "grep -c";
    for (auto& p : seen) grep += " -e ' " + p + " '";
    return bundle({"sh", "-c", grep + " /proc/mounts"}, [&](std::string& c) {
      replace(c, "\"path\": \"" + rootfs_ + "\"", "\"path\": \"" + l.rootfs + "\"");
      std::string mounts = "\"mounts\": [";
      for (auto& d : dests)
        mounts += "{\"destination\": \"" + d + "\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"},";
      replace(c, "\"mounts\": [", mounts);
    });
  }
};

// A rootfs symlink pointing at the host must not redirect a mount: the
// destination resolves inside the rootfs (openat2 RESOLVE_IN_ROOT).
TEST_F(Links, SymlinkInRootfsCannotEscape) {
  LinkedRootfs l = linked_rootfs("escape", "evil");
  std::string b = mounting_bundle(l, {"/evil/sub"}, {l.target + "/sub"});
  Cmd r = ringc({"run", "-b", b, id("escape")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n") << "the mount lands inside the rootfs, at the link's target";
  struct stat st;
  EXPECT_NE(stat(l.target.c_str(), &st), 0) << "ringc created " << l.target << " on the host";
  EXPECT_EQ(stat((l.rootfs + l.target + "/sub").c_str(), &st), 0);
  l.cleanup();
}

// A mount point that is itself a dangling link is made at the link's
// target, inside the rootfs; a missing one in an existing directory is
// made as a directory (the short way of open_in_root).
TEST_F(Links, MissingMountPointsAreMadeInsideTheRootfs) {
  LinkedRootfs l = linked_rootfs("dangling", "link");
  std::string b = mounting_bundle(l, {"/link", "/tmp/fresh"}, {l.target, "/tmp/fresh"});
  Cmd r = ringc({"run", "-b", b, id("dangling")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "2\n") << "both mounts land inside the rootfs";
  struct stat st;
  EXPECT_NE(stat(l.target.c_str(), &st), 0) << "ringc created " << l.target << " on the host";
  EXPECT_EQ(stat((l.rootfs + l.target).c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(stat((l.rootfs + "/tmp/fresh").c_str(), &st), 0);
  l.cleanup();
}

}  // namespace ringc::test

namespace ringc::test {

// runc's --version lines: engines read the first, people the rest.
TEST_F(Priv, VersionInRuncsFormat) {
  Cmd r = ringc({"--version"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("ringc version ", 0), 0u) << r.out;
  for (const char* line : {"\ncommit: ", "\nspec: 1.3.0\n", "\nlibseccomp: "})
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " in " << r.out;
  // The commit of the tree it was built from, read at the build, not only
  // when cmake last ran (a checkout without git: not asked).
  std::string commit;
  if (FILE* git =
          ::popen("git -C " RINGC_SOURCE_DIR " describe --always --dirty 2>/dev/null", "r")) {
    char buf[128];
    while (std::fgets(buf, sizeof buf, git)) commit += buf;
    ::pclose(git);
  }
  if (!commit.empty()) {
    EXPECT_NE(r.out.find("\ncommit: " + commit), std::string::npos)
        << "built from " << commit << "but says\n"
        << r.out;
  }
}

// A cgroupsPath with ".." would climb above the hierarchy's root (or out of
// /ringc, relative): refused up front, naming the field, nothing made.
TEST_F(Priv, CgroupsPathClimbingOutIsRefused) {
  for (std::string path : {"../x", "/../../x", "/a/../b"}) {
    std::string b = bundle({"true"}, [&](std::string& c) {
      replace(c, "\"linux\": {", "\"linux\": {\"cgroupsPath\": \"" + path + "\",");
    });
    std::string c = id("cgdots");
    Cmd r = ringc({"run", "-b", b, c});
    EXPECT_EQ(r.code, 1) << path;
    EXPECT_NE(r.err.find("/linux/cgroupsPath: \"" + path + "\" must not contain \"..\""),
              std::string::npos)
        << r.err;
  }
}

}  // namespace ringc::test
