// Issue 22: ringc where the host refuses io_uring or a newer system call,
// each refused here by a seccomp filter on the ringc command (and all it
// starts), as Docker's profile or an older kernel would.
#include <sys/stat.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "tests/faults/deny_filter.h"
#include "tests/priv/harness.h"

using namespace ringc;
using namespace ringc::test;

namespace {
std::function<void()> refusing(const char* calls, int err) {
  return [calls, err] {
    if (faults::deny_syscalls(calls, err) < 0) _exit(126);
  };
}
}  // namespace

TEST_F(Priv, WithoutIoUringTheEpollBackendRuns) {
  std::string b = bundle({"sh", "-c", "echo ran; exit 3"});
  for (int err : {EPERM, ENOSYS}) {
    Cmd r = ringc_with({"--debug", "run", "-b", b, id("epoll")}, refusing("io_uring_setup", err));
    EXPECT_EQ(r.code, 3) << r.err;
    EXPECT_EQ(r.out, "ran\n");
    std::string why = err == EPERM ? "Operation not permitted" : "Function not implemented";
    EXPECT_NE(r.err.find("reactor: epoll (io_uring_setup: " + why + ")"), std::string::npos)
        << r.err;
    Cmd f = ringc_with({"features"}, refusing("io_uring_setup", err));
    EXPECT_NE(f.out.find("\"org.ringc.reactor\": \"epoll (io_uring_setup: " + why + ")\""),
              std::string::npos)
        << f.out;
  }
}

// clone(2) stands in for clone3; CLONE_INTO_CGROUP becomes a write of the
// child's pid to cgroup.procs before the child may run. The container
// must end up in the same cgroups as one started by clone3.
TEST_F(Priv, WithoutClone3AContainerStillStartsInItsCgroups) {
  auto cgroups_of = [&](const std::string& c, std::function<void()> in_child) -> std::string {
    Cmd r = ringc_with({"run", "-d", "-b", bundle({"sleep", "60"}), c}, std::move(in_child));
    EXPECT_EQ(r.code, 0) << r.err;
    std::string state = ringc({"state", c}).out;
    size_t at = state.find("\"pid\": ");
    if (at == std::string::npos) return "no pid in: " + state;
    std::ifstream in("/proc/" + std::to_string(std::atoi(state.c_str() + at + 7)) + "/cgroup");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
    std::string out = text.str();
    for (size_t p; (p = out.find(c)) != std::string::npos;) out.replace(p, c.size(), "ID");
    return out;
  };
  std::string with = cgroups_of(id("clone3"), nullptr);
  std::string without = cgroups_of(id("noclone3"), refusing("clone3", ENOSYS));
  EXPECT_NE(with.find("/ID"), std::string::npos) << with;
  EXPECT_EQ(without, with);
}

// Where no call stands in (runc's recursive mount options need
// mount_setattr), the error names the call and the kernel, and the failed
// create leaves nothing (the harness checks the state directory and cgroup).
TEST_F(Priv, WithoutTheMountApiRecursiveOptionsSayWhatTheyNeed) {
  std::string src = root_ + ".src";
  ASSERT_EQ(::mkdir(src.c_str(), 0755), 0);
  std::string b = bundle({"true"}, [&](std::string& c) {
    replace(c, "\"mounts\": [",
            "\"mounts\": [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"" + src +
                "\", \"options\": [\"rbind\", \"rro\"]},");
  });
  std::string c = id("nomountapi");
  Cmd r = ringc_with({"run", "-b", b, c}, refusing("mount-api", ENOSYS));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("mount /data: recursive options need mount_setattr (Linux 5.12)"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(cgroup_exists(c));
  // Nor can a bind be id-mapped without the mount API.
  std::string idmapped = bundle({"true"}, [&](std::string& t) {
    replace(
        t, "\"mounts\": [",
        "\"mounts\": [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"" + src +
            "\", \"options\": [\"bind\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, "
            "\"size\": 1}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]},");
  });
  c = id("nomountapi-idmap");
  r = ringc_with({"run", "-b", idmapped, c}, refusing("mount-api", ENOSYS));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("mount /data: an id-mapped mount needs open_tree (Linux 5.2)"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(cgroup_exists(c));
  // Without the recursive option the same bind falls back to mount(2).
  std::string plain = bundle({"true"}, [&](std::string& t) {
    replace(t, "\"mounts\": [",
            "\"mounts\": [{\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"" + src +
                "\", \"options\": [\"rbind\", \"ro\"]},");
  });
  r = ringc_with({"run", "-b", plain, id("nomountapi")}, refusing("mount-api", ENOSYS));
  EXPECT_EQ(r.code, 0) << r.err;
}

// pidfds have no stand-in: without them ringc says so before it touches a
// container, instead of taking a running one for stopped.
TEST_F(Priv, WithoutPidfdsRingcNamesTheKernelItNeeds) {
  for (int err : {ENOSYS, EPERM}) {
    Cmd r = ringc_with({"list"}, refusing("pidfd_open", err));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("ringc holds every process by a pidfd and needs Linux 5.3 or later"),
              std::string::npos)
        << r.err;
  }
  Cmd r = ringc_with({"list"}, refusing("pidfd_send_signal", EPERM));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("pidfd_send_signal: operation not permitted: ringc signals every process"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(ringc_with({"spec", "--help"}, refusing("pidfd_open", ENOSYS)).code, 0);
}
