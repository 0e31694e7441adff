// What the container's program sees from inside.
#include <sstream>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}
}  // namespace

TEST_F(Priv, PidHostnameUserCwdEnv) {
  std::string b = bundle({"sh", "-c", "echo $$; hostname; id -u; id -g; id -G; pwd; echo $FOO"},
                         [](std::string& c) {
                           replace(c, "\"uid\": 0", "\"uid\": 1000");
                           replace(c, "\"gid\": 0", "\"gid\": 1001, \"additionalGids\": [5, 6]");
                           replace(c, "\"cwd\": \"/\"", "\"cwd\": \"/tmp/work\"");
                           replace(c, "\"TERM=xterm\"", "\"TERM=xterm\", \"FOO=bar baz\"");
                           replace(c, "\"hostname\": \"ringc\"", "\"hostname\": \"inside-test\"");
                         });
  Cmd r = ringc({"run", "-b", b, id("inside")});
  ASSERT_EQ(r.code, 0) << r.err;
  auto l = lines(r.out);
  ASSERT_EQ(l.size(), 7u) << r.out;
  EXPECT_EQ(l[0], "1");
  EXPECT_EQ(l[1], "inside-test");
  EXPECT_EQ(l[2], "1000");
  EXPECT_EQ(l[3], "1001");
  EXPECT_EQ(l[4], "1001 5 6");
  EXPECT_EQ(l[5], "/tmp/work");  // created when missing, as runc does
  EXPECT_EQ(l[6], "bar baz");
}

TEST_F(Priv, MountsAsConfigured) {
  std::string b = bundle({"cat", "/proc/self/mounts"}, [](std::string& c) {
    replace(c, "\"mounts\": [",
            "\"mounts\": [{\"destination\": \"/data\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
            "\"options\": [\"size=1m\", \"mode=700\", \"noexec\"]},"
            "{\"destination\": \"/hostetc\", \"type\": \"bind\", \"source\": \"/etc\", "
            "\"options\": [\"rbind\", \"ro\", \"nosuid\"]},");
  });
  Cmd r = ringc({"run", "-b", b, id("mounts")});
  ASSERT_EQ(r.code, 0) << r.err;
  auto has = [&](const std::string& s) { return r.out.find(s) != std::string::npos; };
  EXPECT_TRUE(has("tmpfs /data tmpfs rw,noexec,relatime,size=1024k,mode=700")) << r.out;
  EXPECT_TRUE(has(" /hostetc ")) << r.out;
  EXPECT_TRUE(has("proc /proc proc rw")) << r.out;
  EXPECT_TRUE(has("devpts /dev/pts devpts rw,nosuid,noexec")) << r.out;
  EXPECT_TRUE(has("sysfs /sys sysfs ro,nosuid,nodev,noexec")) << r.out;
  EXPECT_TRUE(has("mqueue /dev/mqueue mqueue")) << r.out;
  // root.readonly
  EXPECT_NE(r.out.find(" / "), std::string::npos);
  size_t root_line = r.out.find(" / ");
  EXPECT_EQ(r.out.substr(r.out.find(' ', root_line + 3) + 1, 2), "ro") << r.out;
  // the bind is read-only
  size_t he = r.out.find(" /hostetc ");
  EXPECT_EQ(r.out.substr(r.out.find(' ', he + 10) + 1, 2), "ro") << r.out;
}

TEST_F(Priv, DevicesAndLinks) {
  std::string b = bundle(
      {"sh", "-c",
       "for d in null zero full random urandom tty; do [ -c /dev/$d ] || echo missing $d; done; "
       "for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; echo x > /dev/null && "
       "echo ok"});
  Cmd r = ringc({"run", "-b", b, id("dev")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx\nok\n");
}

TEST_F(Priv, OwnNamespaces) {
  std::string b = bundle({"sh", "-c", "ls /sys/class/net; cat /proc/self/cgroup | grep '^0::'"});
  Cmd r = ringc({"run", "-b", b, id("ns")});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "lo\n0::/\n") << "own network namespace (only lo) and cgroup namespace root";
}

TEST_F(Priv, JoinsNamespaceByPath) {
  // Join the uts namespace of a running container: the hostname is shared.
  std::string b1 = bundle({"sleep", "1000"}, [](std::string& c) {
    replace(c, "\"hostname\": \"ringc\"", "\"hostname\": \"shared-uts\"");
  });
  std::string c1 = id("owner");
  ASSERT_EQ(ringc({"run", "-d", "-b", b1, c1}).code, 0);
  Cmd st = ringc({"state", c1});
  std::string pid = st.out.substr(st.out.find("\"pid\": ") + 7);
  pid = pid.substr(0, pid.find(','));
  std::string b2 = bundle({"hostname"}, [&](std::string& c) {
    replace(c, "\"hostname\": \"ringc\",", "");
    replace(c, "{\n\t\t\t\t\"type\": \"uts\"\n\t\t\t}",
            "{\"type\": \"uts\", \"path\": \"/proc/" + pid + "/ns/uts\"}");
  });
  Cmd r = ringc({"run", "-b", b2, id("joiner")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "shared-uts\n");
  EXPECT_EQ(ringc({"delete", "-f", c1}).code, 0);
}

TEST_F(Priv, JoinsPidNamespaceByPath) {
  // A second container in the first one's pid namespace sees its init.
  std::string b1 = bundle({"sleep", "1000"});
  std::string c1 = id("pidowner");
  ASSERT_EQ(ringc({"run", "-d", "-b", b1, c1}).code, 0);
  Cmd st = ringc({"state", c1});
  std::string pid = st.out.substr(st.out.find("\"pid\": ") + 7);
  pid = pid.substr(0, pid.find(','));
  std::string b2 = bundle({"sh", "-c", "cat /proc/1/comm; echo $$"}, [&](std::string& c) {
    replace(c, "{\n\t\t\t\t\"type\": \"pid\"\n\t\t\t}",
            "{\"type\": \"pid\", \"path\": \"/proc/" + pid + "/ns/pid\"}");
  });
  Cmd r = ringc({"run", "-b", b2, id("pidjoiner")});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.substr(0, 6), "sleep\n") << r.out;
  EXPECT_NE(r.out.substr(6), "1\n") << "the joiner is not pid 1 in a shared namespace";
  EXPECT_EQ(ringc({"delete", "-f", c1}).code, 0);
}

}  // namespace ringc::test
