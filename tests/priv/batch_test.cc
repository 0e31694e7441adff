// ringc batch on real containers: every one reaped and deleted, failures
// reported with their reasons, --keep leaving them to the usual verbs.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/engine/engine.h"
#include "ring/ops.h"
#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t count_lines(const std::string& text) {
  return size_t(std::count(text.begin(), text.end(), '\n'));
}
}  // namespace

TEST_F(Priv, BatchOfAThousandIsReapedAndLeavesNothing) {
  std::string prefix = id("many");
  Cmd r = ringc({"batch", "-b", bundle({"true"}), "--count", "1000", "--parallel", "32",
                 "--id-prefix", prefix, "--json"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_TRUE(has(r.out, "\"count\":1000,\"ok\":1000,\"failed\":0,")) << r.out;
  for (const char* key :
       {"\"containers_per_second\":", "\"p50_ms\":", "\"p95_ms\":", "\"p99_ms\":",
        "\"cpu_ms_per_container\":", "\"peak_rss_kib\":", "\"reactor_us_by_phase\":{\"claim\":"})
    EXPECT_TRUE(has(r.out, key)) << key << " missing: " << r.out;
  EXPECT_EQ(ringc({"list", "-q"}).out, "");
  for (int i = 0; i < 1000; i += 37)
    EXPECT_FALSE(cgroup_exists(prefix + "-" + std::to_string(i))) << i;
}

TEST_F(Priv, BatchReportsEachFailureWithItsReason) {
  std::string prefix = id("fail");
  Cmd r = ringc({"batch", "-b", bundle({"sh", "-c", "exit 3"}), "--count", "4", "--parallel", "2",
                 "--id-prefix", prefix});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(has(r.out, "4 containers, 0 ok, 4 failed")) << r.out;
  EXPECT_TRUE(has(r.out, "failed: " + prefix + "-0: exited with code 3")) << r.out;

  Cmd missing =
      ringc({"batch", "-b", bundle({"/no/such/program"}), "--count", "2", "--id-prefix", prefix});
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(has(missing.out, "2 failed")) << missing.out;
  EXPECT_TRUE(has(missing.out, "/no/such/program")) << missing.out;
  EXPECT_EQ(ringc({"list", "-q"}).out, "");
}

TEST_F(Priv, BatchKeepLeavesRunningContainersForTheUsualVerbs) {
  std::string prefix = id("keep");
  Cmd r = ringc({"batch", "-b", bundle({"sleep", "1000"}), "--count", "3", "--parallel", "3",
                 "--id-prefix", prefix, "--keep"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  Cmd l = ringc({"list", "-q"});
  EXPECT_EQ(l.out, prefix + "-0\n" + prefix + "-1\n" + prefix + "-2\n");
  for (int i = 0; i < 3; ++i) {
    std::string c = prefix + "-" + std::to_string(i);
    ids_.push_back(c);
    Cmd st = ringc({"state", c});
    EXPECT_TRUE(has(st.out, "\"status\": \"running\"")) << st.out;
    EXPECT_TRUE(cgroup_exists(c));
    EXPECT_EQ(ringc({"kill", c, "KILL"}).code, 0);
  }
  for (int i = 0; i < 3; ++i) {
    std::string c = prefix + "-" + std::to_string(i);
    Cmd d = ringc({"delete", "--force", c});
    EXPECT_EQ(d.code, 0) << d.err;
  }
}

// A batch's containers write where the batch's caller's stdout goes, the
// same through a daemon (its client's stdio, sent with the request) as
// with the CLI's own engine.
TEST_F(Priv, BatchContainersWriteToTheCallersStdio) {
  std::string b = bundle({"sh", "-c", "echo out-$(hostname); echo err >&2"});
  int n = 0;
  for (auto way : ways()) {
    way.insert(way.end(), {"batch", "-b", b, "--count", "3", "--parallel", "2", "--id-prefix",
                           id("stdio" + std::to_string(n++)), "--json"});
    Cmd r = ringc(way);
    EXPECT_EQ(r.code, 0) << r.err;
    size_t lines = 0;
    for (size_t at = 0; (at = r.out.find("out-ringc\n", at)) != std::string::npos; ++at) ++lines;
    EXPECT_EQ(lines, 3u) << r.out;
    lines = 0;
    for (size_t at = 0; (at = r.err.find("err\n", at)) != std::string::npos; ++at) ++lines;
    EXPECT_EQ(lines, 3u) << r.err;
  }
}

// SIGTERM (or SIGINT, SIGHUP) stops a batch: nothing more is launched, what
// is in flight is killed and deleted, and the report says why.
TEST_F(Priv, BatchInterruptedKillsAndDeletesWhatIsInFlight) {
  std::string prefix = id("int");
  Running r = ringc_async({"batch", "-b", bundle({"sleep", "1000"}), "--count", "40", "--parallel",
                           "8", "--id-prefix", prefix});
  for (int i = 0; i < 500 && count_lines(ringc({"list", "-q"}).out) < 8; ++i) usleep(20'000);
  ASSERT_EQ(count_lines(ringc({"list", "-q"}).out), 8u);
  ASSERT_EQ(kill(r.pid, SIGTERM), 0);
  std::string out, line;
  while (!(line = r.read_line()).empty()) out += line + "\n";
  EXPECT_EQ(r.wait(), 1);
  EXPECT_TRUE(has(out, "40 containers, 0 ok, 40 failed")) << out;
  EXPECT_TRUE(has(out, "failed: " + prefix + "-0: interrupted by SIGTERM")) << out;
  EXPECT_EQ(ringc({"list", "-q"}).out, "");
  for (int i = 0; i < 8; ++i) EXPECT_FALSE(cgroup_exists(prefix + "-" + std::to_string(i))) << i;
}

TEST_F(Priv, BatchRefusesBadInputBeforeMakingAnything) {
  Cmd none = ringc({"batch", "-b", root_ + ".nope", "--count", "2"});
  EXPECT_EQ(none.code, 1);
  EXPECT_TRUE(has(none.err, "bundle")) << none.err;
  Cmd zero = ringc({"batch", "-b", bundle({"true"}), "--count", "0"});
  EXPECT_EQ(zero.code, 1);
  EXPECT_TRUE(has(zero.err, "--count")) << zero.err;
  Cmd badid = ringc({"batch", "-b", bundle({"true"}), "--count", "1", "--id-prefix", "a/b"});
  EXPECT_EQ(badid.code, 1);
  EXPECT_TRUE(has(badid.err, "invalid container id")) << badid.err;
  EXPECT_EQ(ringc({"list", "-q"}).out, "");
}

// An engine that goes while a container it launched still runs (what
// `batch --keep` leaves) takes its exit wait with it: the ring outlives the
// engine, and the wait's siginfo lives in the engine's slots.
TEST_F(Priv, EngineGoneCancelsTheWaitsOfWhatItLeftRunning) {
  std::string c = id("left");
  Runtime rt(root_);
  auto p = prepare(c, bundle({"sleep", "60"}));
  ASSERT_TRUE(p) << p.error().what();
  {
    ScopedEnv env("RINGC_SPAWNER", "0");  // its receive would be cancelled as well
    Engine e(rt);
    LaunchRequest req;
    req.id = c;
    req.cgroup_path = p.value().cgroup_path;
    req.prepared = std::make_shared<const Prepared>(std::move(p).value());
    bool runs = false;  // told once its record says so and the program exec'd
    e.on_notice = [&](const Notice& n) { runs = runs || n.event == fsm::Event::exec_done; };
    ASSERT_TRUE(e.launch(std::move(req)));
    while (!runs) {
      auto s = e.step();
      ASSERT_TRUE(s) << s.error().what();
    }
  }
  auto ring = rt.ring();
  ASSERT_TRUE(ring);
  // The cancelled wait's completion is posted when the ring is next
  // entered (DEFER_TASKRUN): a NOP behind it flushes it out (under epoll
  // it is there already; a timeout of zero marks the end).
  constexpr uint64_t kNop = 0x7e57;
  __kernel_timespec zero{};
  if (ring.value()->poller()) {
    ASSERT_TRUE(ring::prep_timeout(*ring.value(), kNop, &zero));
  } else {
    io_uring_sqe* nop_sqe = ring.value()->sqe();
    ASSERT_NE(nop_sqe, nullptr);
    io_uring_prep_nop(nop_sqe);
    io_uring_sqe_set_data64(nop_sqe, kNop);
  }
  std::vector<uint16_t> tags;
  for (bool nop = false; !nop;) {
    ASSERT_TRUE(ring.value()->wait());
    ring::Completion done[16];
    unsigned n = ring.value()->reap(done, 16);
    for (unsigned i = 0; i < n; ++i) {
      nop = nop || done[i].user_data == kNop;
      // (a handshake's linked timeout, cancelled when the read came, is
      // ring::kIgnored)
      if (done[i].res == -ECANCELED && done[i].user_data != ring::kIgnored)
        tags.push_back(ring::Token::unpack(done[i].user_data).tag);
    }
  }
  EXPECT_EQ(tags.size(), 1u) << "cancelled tags: " << fmt::format("{}", fmt::join(tags, " "));
  Cmd r = ringc({"state", c});
  EXPECT_NE(r.out.find("\"status\": \"running\""), std::string::npos) << r.out;
  EXPECT_EQ(ringc({"delete", "--force", c}).code, 0);
}

}  // namespace ringc::test
