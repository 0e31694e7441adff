// linux user namespaces: the parent maps ids and places the init in its
// cgroups; inside, the program is root of its own namespace only.
#include <fstream>
#include <sstream>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
std::string host_ids(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string out;
  for (std::string l; std::getline(in, l);)
    if (l.starts_with("Uid:") || l.starts_with("Gid:")) out += l.substr(0, l.find('\t', 5)) + "\n";
  return out;
}
}  // namespace

// The uid map seen inside, root inside and 100000 outside, host files
// owned by nobody, default devices bound from the host, limits in place.
TEST_F(Priv, UserNamespaceMapsIds) {
  bool pids = !missing_controller({"pids"});  // the pure-v2 view here has none
  std::string b =
      bundle({"sh", "-c",
              "id; cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; "
              "stat -c '%u %g' /bin/busybox; echo x > /dev/null && head -c 4 "
              "/dev/zero | wc -c"},
             [pids](std::string& c) {
               with_user_namespace(c);
               if (pids)
                 replace(c, "\"resources\": {", "\"resources\": {\"pids\": {\"limit\": 50},");
             });
  std::string c = id("userns");
  Cmd r = ringc({"create", "-b", b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  Cmd st = ringc({"state", c});
  int pid = std::atoi(st.out.substr(st.out.find("\"pid\": ") + 7).c_str());
  EXPECT_EQ(host_ids(pid), "Uid:\t100000\nGid:\t200000\n");
  if (pids) {
    EXPECT_EQ(cg_file(c, "pids", "pids.max", "pids.max"), "50");
  }
  Running w = ringc_async({"events", c});
  ASSERT_EQ(ringc({"start", c}).code, 0);
  w.wait();
  EXPECT_EQ(ringc({"delete", c}).code, 0);
  // The program's output went to the create's stdout: run it again in the
  // foreground to see it.
  r = ringc({"run", "-b", b, id("userns-fg")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "uid=0(root) gid=0(root)\n 0 100000 65536\n 0 200000 65536\n65534 65534\n4\n");
}

TEST_F(Priv, UserNamespaceConfigErrors) {
  struct Case {
    std::function<void(std::string&)> tweak;
    std::string message;
  } cases[] = {
      {[](std::string& c) {
         replace(c, "\"namespaces\": [", "\"namespaces\": [{\"type\": \"user\"},");
       },
       "/linux/uidMappings: a user namespace needs uidMappings and gidMappings"},
      {[](std::string& c) {
         replace(
             c, "\"linux\": {",
             "\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}],");
       },
       "/linux/uidMappings: id mappings need a user namespace in linux.namespaces"},
      {[](std::string& c) {
         replace(c, "\"namespaces\": [",
                 "\"namespaces\": [{\"type\": \"user\", \"path\": \"/proc/self/ns/net\"},");
       },
       "join user namespace /proc/self/ns/net: invalid argument"},
  };
  for (auto& k : cases) {
    Cmd r = ringc({"run", "-b", bundle({"true"}, k.tweak), id("usererr")});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find(k.message), std::string::npos) << r.err;
  }
}

// Id 0 unmapped: the init cannot become root of its namespace; create
// fails and leaves nothing (TearDown checks).
TEST_F(Priv, UserNamespaceWithoutRootMapped) {
  std::string b = bundle({"true"}, [](std::string& c) {
    with_user_namespace(c);
    replace(c, "\"containerID\": 0, \"hostID\": 100000", "\"containerID\": 1, \"hostID\": 100000");
  });
  Cmd r = ringc({"run", "-b", b, id("noroot")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("become root of the user namespace"), std::string::npos) << r.err;
}

}  // namespace ringc::test

namespace ringc::test {

// exec joins the user namespace too and is root of it.
TEST_F(Priv, ExecIntoAUserNamespace) {
  std::string c = id("userns-exec");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}, with_user_namespace), c}).code, 0);
  Cmd r = ringc({"exec", c, "sh", "-c", "id -u; cat /proc/self/uid_map | tr -s ' '"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n 0 100000 65536\n");
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

}  // namespace ringc::test

namespace ringc::test {

// A bind source only the host's root can reach (under a 0700 directory):
// the parent clones it (open_tree) before the user namespace is made and
// the init attaches that clone, as runc's mount fds; read-only still holds.
TEST_F(Priv, UserNamespaceBindsASourceOnlyTheHostReaches) {
  std::string secret = root_ + ".secret";
  ASSERT_EQ(std::system(("mkdir -p " + secret + "/vol && chmod 0700 " + secret + " && echo hi > " +
                         secret + "/vol/f")
                            .c_str()),
            0);
  std::string b = bundle({"sh", "-c", "cat /tmp/f; touch /tmp/g 2>&1 | grep -c Read-only"},
                         [&](std::string& c) {
                           with_user_namespace(c);
                           replace(c, "\"mounts\": [",
                                   "\"mounts\": [{\"destination\": \"/tmp\", \"type\": \"bind\", "
                                   "\"source\": \"" +
                                       secret + "/vol\", \"options\": [\"rbind\", \"ro\"]},");
                         });
  Cmd r = ringc({"run", "-b", b, id("userns-bind")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "hi\n1\n");
  std::system(("rm -rf " + secret).c_str());
}

}  // namespace ringc::test

namespace ringc::test {

// A user namespace given by path (as CRI runtimes give a pod's): the init
// joins it and is root there, its pid namespace owned by it (so /proc
// mounts); the maps are the namespace's, and maps in config.json must be
// the same. Through the CLI and the daemon; exec joins it too.
TEST_F(Priv, UserNamespaceJoinedByPath) {
  std::string holder = id("userns-holder");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}, with_user_namespace), holder}).code,
            0);
  Cmd st = ringc({"state", holder});
  int pid = std::atoi(st.out.substr(st.out.find("\"pid\": ") + 7).c_str());
  ASSERT_GT(pid, 0) << st.out;
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/user";
  char link[64] = {};
  ASSERT_GT(::readlink(ns.c_str(), link, sizeof link - 1), 0);
  auto joining = [&](const std::string& maps) {
    return [&, maps](std::string& c) {
      replace(c, "\"namespaces\": [",
              "\"namespaces\": [{\"type\": \"user\", \"path\": \"" + ns + "\"},");
      if (!maps.empty()) replace(c, "\"linux\": {", "\"linux\": {" + maps);
    };
  };
  const char* script =
      "id; cat /proc/self/uid_map /proc/self/gid_map | tr -s ' '; readlink "
      "/proc/self/ns/user; ls /proc/1/ns/user >/dev/null && echo proc-ok";
  const std::string want = "uid=0(root) gid=0(root)\n 0 100000 65536\n 0 200000 65536\n" +
                           std::string(link) + "\nproc-ok\n";
  int n = 0;
  for (auto way : ways()) {
    Cmd r = ringc_via(way, {"run", "-b", bundle({"sh", "-c", script}, joining("")),
                            id("joined" + std::to_string(n++))});
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, want);
  }
  const std::string same =
      "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}], "
      "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 65536}],";
  Cmd r = ringc({"run", "-b", bundle({"sh", "-c", script}, joining(same)), id("joined-same")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, want);
  std::string other = same;
  replace(other, "200000", "300000");
  r = ringc({"run", "-b", bundle({"true"}, joining(other)), id("joined-other")});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/linux/gidMappings: does not match the user namespace " + ns +
                       " it joins (its gid_map: 0 200000 65536)"),
            std::string::npos)
      << r.err;
  std::string c = id("joined-exec");
  ASSERT_EQ(ringc({"run", "-d", "-b", bundle({"sleep", "60"}, joining("")), c}).code, 0);
  r = ringc({"exec", c, "sh", "-c", "id -u; readlink /proc/self/ns/user"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n" + std::string(link) + "\n");
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
  EXPECT_EQ(ringc({"delete", "--force", holder}).code, 0);
}

}  // namespace ringc::test
