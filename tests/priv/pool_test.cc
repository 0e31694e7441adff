// Warm network namespaces (core/pool/netns_pool.h) on a real kernel: the
// rule that takes one back, and containers that share them in turn, each
// finding nothing of the one before.
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/pool/netns_pool.h"
#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs f with this thread in the network namespace netns, then back home.
template <class F>
void inside(int netns, int home, F&& f) {
  ASSERT_EQ(::setns(netns, CLONE_NEWNET), 0) << std::strerror(errno);
  f();
  ASSERT_EQ(::setns(home, CLONE_NEWNET), 0) << std::strerror(errno);
}
}  // namespace

// A namespace is taken back only as it was made: a socket left in it, or
// lo brought up, and it is not.
TEST_F(Priv, AWarmNetworkNamespaceIsTakenBackOnlyAsMade) {
  sys::UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  ASSERT_GE(home.get(), 0);
  auto ns = make_netns(home.get());
  ASSERT_TRUE(ns) << ns.error().what();
  int fd = ns.value().get();
  EXPECT_EQ(netns_dirty(fd, home.get()).value_or(""), "");

  int sock = -1;
  inside(fd, home.get(), [&] {
    sock = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(7000);
    ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
    ASSERT_EQ(::listen(sock, 1), 0);
  });
  auto why = netns_dirty(fd, home.get());
  ASSERT_TRUE(why);
  EXPECT_TRUE(has(*why, "left")) << *why;
  ::close(sock);
  // A closed socket's count drops once the kernel has freed it.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (netns_dirty(fd, home.get()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(netns_dirty(fd, home.get()).value_or(""), "");

  inside(fd, home.get(), [&] {
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ifreq ifr{};
    std::strcpy(ifr.ifr_name, "lo");
    ASSERT_EQ(::ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags |= IFF_UP;
    ASSERT_EQ(::ioctl(s, SIOCSIFFLAGS, &ifr), 0) << std::strerror(errno);
    ::close(s);
  });
  EXPECT_EQ(netns_dirty(fd, home.get()).value_or(""), "lo was brought up");
}

// Containers one after another on one warm namespace: each finds no
// socket of the one before (whose listener died with it), and the
// namespace goes back to the pool every time.
TEST_F(Priv, ContainersSharingAWarmNamespaceFindNothingOfEachOther) {
  std::string b =
      bundle({"sh", "-c",
              "head -1 /proc/net/sockstat; nc -l -p 7000 & sleep 0.2; "
              "(echo 1 > /proc/sys/net/ipv4/ip_forward) 2>/dev/null && echo wrote; exit 0"});
  Cmd r = ringc({"batch", "-b", b, "--count", "6", "--parallel", "1", "--pool-netns", "1",
                 "--id-prefix", id("pool"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(has(r.out, "\"ok\":6,\"failed\":0")) << r.out;
  // Every container's first line: nothing in use in its namespace.
  size_t clean = 0, at = 0;
  while ((at = r.out.find("sockets: used 0", at)) != std::string::npos) ++clean, ++at;
  EXPECT_EQ(clean, 6u) << r.out;
  EXPECT_FALSE(has(r.out, "wrote")) << r.out;
  // Taken back after each (unless the kernel was still closing a socket
  // when the exit was handled: then discarded, and the next one made).
  auto count = [&](const std::string& key) {
    size_t at = r.out.find("\"netns_pool\":{");
    if (at == std::string::npos) return -1;
    at = r.out.find("\"" + key + "\":", at);
    return at == std::string::npos ? -1 : std::atoi(r.out.c_str() + at + key.size() + 3);
  };
  EXPECT_EQ(count("hits") + count("misses"), 6) << r.out;
  EXPECT_GE(count("hits"), 2) << r.out;  // the warm one, then at least once recycled
  EXPECT_GE(count("recycled"), 1) << r.out;
}

// The containers are in the pooled namespace itself, whoever clones
// their inits: the engine's thread, or the spawner (the namespace's fd
// goes along with the request).
TEST_F(Priv, APooledNamespaceIsJoinedWhoeverClonesTheInit) {
  std::string b = bundle({"readlink", "/proc/self/ns/net"});
  for (const char* spawner : {"0", "1"}) {
    ScopedEnv env("RINGC_SPAWNER", spawner);
    Cmd r = ringc({"batch", "-b", b, "--count", "3", "--parallel", "1", "--pool-netns", "1",
                   "--id-prefix", id(std::string("join") + spawner), "--json"});
    ASSERT_EQ(r.code, 0) << r.err << r.out;
    EXPECT_TRUE(has(r.out, "\"netns_pool\":{\"hits\":3,\"misses\":0,\"recycled\":3,"))
        << "RINGC_SPAWNER=" << spawner << "\n"
        << r.out;
    // Where the spawner was asked for, it cloned them all.
    EXPECT_TRUE(has(
        r.out, std::string("\"spawner_launches\":") + (std::string(spawner) == "1" ? "3," : "0,")))
        << r.out;
    std::vector<std::string> seen;
    for (size_t at = 0; (at = r.out.find("net:[", at)) != std::string::npos; ++at)
      seen.push_back(r.out.substr(at, r.out.find(']', at) - at));
    ASSERT_EQ(seen.size(), 3u) << r.out;
    EXPECT_EQ(seen[0], seen[1]) << "RINGC_SPAWNER=" << spawner;
    EXPECT_EQ(seen[1], seen[2]) << "RINGC_SPAWNER=" << spawner;
    char own[64] = {};
    ASSERT_GT(::readlink("/proc/self/ns/net", own, sizeof own - 1), 0);
    EXPECT_NE(seen[0], std::string(own).substr(0, std::string(own).find(']')));
  }
}

// A spec that may change its namespace never gets a warm one.
TEST_F(Priv, ASpecThatMayChangeItsNamespaceGetsNoWarmOne) {
  std::string b = bundle({"true"}, [](std::string& json) {
    size_t at = json.find("\"CAP_KILL\",");
    json.replace(at, 11, "\"CAP_KILL\", \"CAP_NET_ADMIN\",");
  });
  Cmd r = ringc({"batch", "-b", b, "--count", "3", "--parallel", "1", "--pool-netns", "2",
                 "--id-prefix", id("nopool"), "--json"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(has(r.out, "\"netns_pool\":{\"hits\":0,\"misses\":0,\"recycled\":0,")) << r.out;
}

}  // namespace ringc::test
