#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "core/base/sys.h"
#include "core/store/observe.h"
#include "core/store/record.h"
#include "core/store/state_json.h"

using namespace ringc;

namespace {
RecordFields sample() {
  RecordFields f;
  f.pid = 4242;
  f.status = fsm::State::running;
  f.start_time = 123456789;
  f.created_ns = 1'700'000'000'123'456'789;
  f.exit_code = -1;
  f.owner = 0;
  f.restarts = 3;
  f.flags = kRecordRemoveOnExit;
  f.restart_kind = 2;
  f.restart_max = 700;
  f.passed_fds = 2;
  f.listen_fds = 1;
  f.id = "web-1";
  f.bundle = "/srv/bundles/web";
  f.rootfs = "/srv/bundles/web/rootfs";
  f.cgroup = "/ringc/web-1";
  f.oci_version = "1.0.2-dev";
  f.annotations = {{"org.example.a", "1"}, {"b", ""}};
  return f;
}
}  // namespace

TEST(Record, RoundTrip) {
  std::string bytes = encode(sample());
  auto v = RecordView::parse(bytes, "t");
  ASSERT_TRUE(v) << v.error().what();
  const RecordView& r = v.value();
  EXPECT_EQ(r.pid(), 4242);
  EXPECT_EQ(r.status(), fsm::State::running);
  EXPECT_EQ(r.start_time(), 123456789u);
  EXPECT_EQ(r.created_ns(), 1'700'000'000'123'456'789);
  EXPECT_EQ(r.exit_code(), -1);
  EXPECT_EQ(r.restarts(), 3u);
  EXPECT_EQ(r.flags(), kRecordRemoveOnExit);
  EXPECT_EQ(r.restart_kind(), 2);
  EXPECT_EQ(r.restart_max(), 700);
  EXPECT_EQ(r.passed_fds(), 2);
  EXPECT_EQ(r.listen_fds(), 1);
  EXPECT_EQ(r.id(), "web-1");
  EXPECT_EQ(r.bundle(), "/srv/bundles/web");
  EXPECT_EQ(r.rootfs(), "/srv/bundles/web/rootfs");
  EXPECT_EQ(r.cgroup(), "/ringc/web-1");
  EXPECT_EQ(r.oci_version(), "1.0.2-dev");
  std::vector<std::pair<std::string, std::string>> ann;
  r.for_each_annotation([&](auto k, auto val) { ann.emplace_back(k, val); });
  ASSERT_EQ(ann.size(), 2u);
  EXPECT_EQ(ann[0], (std::pair<std::string, std::string>{"org.example.a", "1"}));
  EXPECT_EQ(ann[1], (std::pair<std::string, std::string>{"b", ""}));
}

TEST(Record, ViewsPointIntoTheBytes) {
  std::string bytes = encode(sample());
  auto v = RecordView::parse(bytes, "t");
  ASSERT_TRUE(v);
  std::string_view id = v.value().id();
  EXPECT_GE(id.data(), bytes.data());
  EXPECT_LT(id.data(), bytes.data() + bytes.size());
}

TEST(Record, FieldsRewriteIsIdentical) {
  std::string bytes = encode(sample());
  auto v = RecordView::parse(bytes, "t");
  ASSERT_TRUE(v);
  EXPECT_EQ(encode(v.value().fields()), bytes);
}

TEST(Record, EveryTruncationIsRejected) {
  std::string bytes = encode(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto v = RecordView::parse(std::span<const char>(bytes.data(), n), "/run/ringc/x/state");
    ASSERT_FALSE(v) << "length " << n;
    EXPECT_TRUE(v.error().is(Errc::corrupt_state));
    EXPECT_NE(v.error().what().find("/run/ringc/x/state"), std::string::npos);
  }
}

TEST(Record, WrongMagic) {
  std::string bytes = encode(sample());
  bytes[0] = 'X';
  auto v = RecordView::parse(bytes, "f");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().what().find("bad magic"), std::string::npos);
}

TEST(Record, WrongVersion) {
  std::string bytes = encode(sample());
  bytes[4] = 9;
  auto v = RecordView::parse(bytes, "f");
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().what().find("unsupported version 9"), std::string::npos);
}

// Any single flipped byte (a torn write, a bad disk, a hand edit) must be
// caught by the checks or the checksum, never read as valid data.
TEST(Record, EveryFlippedByteIsRejected) {
  std::string good = encode(sample());
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80, 0xff}) {
      std::string bad = good;
      bad[i] = char(uint8_t(bad[i]) ^ mask);
      EXPECT_FALSE(RecordView::parse(bad, "f")) << "byte " << i << " mask " << int(mask);
    }
  }
}

TEST(Record, ExtraBytesRejected) {
  std::string bytes = encode(sample()) + "x";
  EXPECT_FALSE(RecordView::parse(bytes, "f"));
}

TEST(Record, Crc32cKnownValue) {
  // The standard check value of CRC-32C (Castagnoli).
  std::string s = "123456789";
  EXPECT_EQ(crc32c(s), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(s), 0xE3069283u);
  std::string big(1000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char(i * 7);
  for (size_t n : {0, 1, 7, 8, 9, 15, 16, 17, 999, 1000})
    EXPECT_EQ(crc32c(std::span<const char>(big.data(), n)),
              crc32c_portable(std::span<const char>(big.data(), n)))
        << n;
}

// A damaged record still gives its cgroup path where its layout holds and
// its id matches; nothing otherwise.
TEST(Record, SalvageCgroup) {
  std::string bytes = encode(sample());
  std::string bad_crc = bytes;
  bad_crc[bad_crc.size() - 1] ^= 1;
  EXPECT_EQ(RecordView::salvage_cgroup(bad_crc, "web-1"), "/ringc/web-1");
  EXPECT_EQ(RecordView::salvage_cgroup(bad_crc, "web-2"), std::nullopt);
  EXPECT_EQ(RecordView::salvage_cgroup(std::span<const char>(bytes.data(), 100), "web-1"),
            std::nullopt);
  std::string garbage(200, 'x');
  EXPECT_EQ(RecordView::salvage_cgroup(garbage, "web-1"), std::nullopt);
}

// The claim's intent names its creator: alive, the container reads
// creating (pid 0 shown, no pidfd); gone, it is half-made and reads
// deleting, which any delete finishes.
TEST(Record, IntentFollowsItsCreator) {
  RecordFields f = sample();
  f.status = fsm::State::creating;
  f.flags = kRecordIntent;
  f.pid = ::getpid();
  f.start_time = process_start_time(f.pid).value_or(0);
  std::string alive = encode(f);
  auto v = RecordView::parse(alive, "alive");
  ASSERT_TRUE(v);
  EXPECT_EQ(observed_state(v.value()), fsm::State::creating);
  EXPECT_EQ(shown_pid(v.value(), fsm::State::creating), 0);
  EXPECT_EQ(open_pidfd(v.value()), -1);
  pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  f.pid = child;
  std::string gone = encode(f);
  auto g = RecordView::parse(gone, "gone");
  ASSERT_TRUE(g);
  EXPECT_EQ(observed_state(g.value()), fsm::State::deleting);
  EXPECT_TRUE(fsm::apply(fsm::State::deleting, fsm::Event::remove));
}

// An adopted init is not our child: its status is read from its zombie
// (checked against its start time) or, once someone else reaped it, from
// the pidfd held on it (PIDFD_INFO_EXIT, Linux 6.15).
TEST(Record, ExitStatusOfAProcessThatIsNotWaitedFor) {
  EXPECT_EQ(exit_code_of_status(5 << 8), 5);
  EXPECT_EQ(exit_code_of_status(SIGKILL), 128 + SIGKILL);
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(go[1]);
    char b;
    (void)::read(go[0], &b, 1);
    ::_exit(5);
  }
  ::close(go[0]);
  auto st = read_proc_stat(child);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->ppid, ::getpid());
  EXPECT_FALSE(st->exited());
  EXPECT_FALSE(exit_status_of(child, st->start_time, -1)) << "alive: no status";
  int pidfd = sys::pidfd_open(child);
  ASSERT_GE(pidfd, 0);
  ::close(go[1]);  // it exits
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT), 0);
  auto zombie = exit_status_of(child, st->start_time, -1);
  ASSERT_TRUE(zombie);
  EXPECT_EQ(exit_code_of_status(*zombie), 5);
  EXPECT_FALSE(exit_status_of(child, st->start_time + 1, -1)) << "another start time: not it";
  ASSERT_EQ(::waitid(P_PID, id_t(child), &info, WEXITED), 0);
  auto reaped = exit_status_of(child, st->start_time, pidfd);
  ::close(pidfd);
  if (!reaped) GTEST_SKIP() << "this kernel has no PIDFD_INFO_EXIT (Linux 6.15)";
  EXPECT_EQ(exit_code_of_status(*reaped), 5);
}
