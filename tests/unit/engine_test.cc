// The engine without root: inits are plain child processes taken over from
// records (as a restarted daemon takes them), completions come from a real
// ring or are made up (EngineProbe), and the container's cgroup does not
// exist, so every cgroup file the engine writes fails, which the table's
// failure events must carry.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/engine/engine.h"
#include "core/store/observe.h"
#include "core/verbs/on_engine.h"
#include "ring/ops.h"

namespace ringc {

struct EngineProbe {
  // As if an operation with this tag had been submitted and completed.
  static void complete(Engine& e, std::string_view id, Engine::Tag tag, int res) {
    uint32_t i = e.by_id_.at(id);
    ++e.slots_[i].pending;
    e.handle({e.token(i, tag), res, 0});
  }
  static constexpr Engine::Tag kExecDone = Engine::kExecDone;
  static uint64_t exit_token(Engine& e, std::string_view id) {
    return e.token(e.by_id_.at(id), Engine::kExit);
  }
  static void complete(Engine& e, uint64_t token, int res) { e.handle({token, res, 0}); }
};

namespace {

using S = fsm::State;
using E = fsm::Event;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ringc-engine-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    rt_ = std::make_unique<Runtime>(root_ + "/state");
  }
  void TearDown() override {
    for (pid_t p : children_) {
      ::kill(p, SIGKILL);
      ::waitpid(p, nullptr, 0);
    }
    std::filesystem::remove_all(root_);
  }

  // A child that sleeps, recorded as container `id` in `status`.
  pid_t container(const std::string& id, S status = S::running) {
    pid_t p = ::fork();
    if (p == 0) {
      ::execl("/bin/sleep", "sleep", "1000", nullptr);
      _exit(127);
    }
    children_.push_back(p);
    // Its start time once it is the sleep (the fork's is the same process).
    auto st = read_proc_stat(p);
    EXPECT_TRUE(st);
    std::string cg = "/ringc-engine-test/" + id;
    RecordFields f;
    f.id = id;
    f.bundle = root_;
    f.rootfs = root_;
    f.cgroup = cg;
    f.oci_version = "1.0.2";
    f.pid = p;
    f.start_time = st ? st->start_time : 0;
    f.status = status;
    EXPECT_TRUE(rt_->store().claim(id, f));
    EXPECT_TRUE(rt_->store().write(id, f));
    return p;
  }

  Result<fsm::State> adopt(Engine& e, const std::string& id) {
    auto rec = rt_->store().read(id);
    if (!rec) return rec.error();
    return e.adopt(rec.value().view());
  }

  // Steps the engine until a notice with event `until` for id, or 10 s.
  // The handler stays the engine's after this returns (later notices are
  // recorded too): it holds nothing of this frame.
  bool step_until(Engine& e, E until) {
    seen_.clear();
    until_ = until;
    got_ = false;
    e.on_notice = [this](const Notice& n) {
      seen_.push_back(n.event);
      errors_.push_back(std::string(n.error));
      if (n.event == until_) got_ = true;
    };
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!got_ && std::chrono::steady_clock::now() < deadline) {
      auto ts = ring::to_timespec(std::chrono::milliseconds(50));
      auto ring = e.ring();
      if (!ring) return false;
      ring::prep_timeout(*ring.value(), ring::kIgnored, &ts);  // wakes the wait
      if (!e.step()) return false;
    }
    return got_;
  }

  std::string root_;
  std::unique_ptr<Runtime> rt_;
  std::vector<pid_t> children_;
  std::vector<E> seen_;
  std::vector<std::string> errors_;
  E until_ = E::exited;
  bool got_ = false;
};

TEST_F(EngineTest, AnAdoptedInitsExitIsRecordedWithItsCode) {
  Engine e(*rt_, {.ring_entries = 64, .spawner = false});
  container("c1");
  ASSERT_EQ(adopt(e, "c1").value(), S::running);
  ASSERT_TRUE(e.request("c1", E::kill, SIGTERM));
  ASSERT_TRUE(step_until(e, E::exited));
  EXPECT_EQ(e.view("c1")->state, S::stopped);
  EXPECT_EQ(e.view("c1")->exit_code, 128 + SIGTERM);
  auto rec = rt_->store().read("c1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec.value()->status(), S::stopped);
  EXPECT_EQ(rec.value()->exit_code(), 128 + SIGTERM);
}

// Recovery enters through the table: the notice names `adopted` (the
// init lives) or `adopted_gone`, from the state the record says.
TEST_F(EngineTest, AdoptionIsTheTablesAdoptedEvent) {
  Engine e(*rt_, {.ring_entries = 64, .spawner = false});
  std::vector<Notice> got;
  e.on_notice = [&](const Notice& n) { got.push_back(n); };
  container("alive", S::paused);
  ASSERT_EQ(adopt(e, "alive").value(), S::paused);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event, E::adopted);
  EXPECT_EQ(got[0].from, S::paused);
  EXPECT_EQ(got[0].to, S::paused);
  pid_t p = container("gone", S::running);
  ::kill(p, SIGKILL);
  ::waitpid(p, nullptr, 0);
  ASSERT_EQ(adopt(e, "gone").value(), S::stopped);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].event, E::adopted_gone);
  EXPECT_EQ(got[1].from, S::running);
  EXPECT_EQ(got[1].to, S::stopped);
}

// A stop the record says was under way is finished: the table's kill_now.
TEST_F(EngineTest, AnAdoptedStopIsFinishedWithKill) {
  Engine e(*rt_, {.ring_entries = 64, .spawner = false});
  container("c1", S::stopping);
  ASSERT_EQ(adopt(e, "c1").value(), S::stopping);
  ASSERT_TRUE(step_until(e, E::exited));
  EXPECT_EQ(e.view("c1")->state, S::stopped);
  EXPECT_EQ(e.view("c1")->exit_code, 128 + SIGKILL);
}

TEST_F(EngineTest, AFailedFreezeGoesBackToRunningAndSaysWhy) {
  Engine e(*rt_, {.ring_entries = 64, .spawner = false});
  container("c1");
  ASSERT_TRUE(adopt(e, "c1"));
  ASSERT_TRUE(e.request("c1", E::pause));
  // The cgroup is not there: the freeze fails at once, inside the request.
  EXPECT_EQ(e.view("c1")->state, S::running);
  auto rec = rt_->store().read("c1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec.value()->status(), S::running);
}

// The failed freeze's error stayed on the slot and came back as the
// answer of a later delete, which had gone through. (Written first, the
// test also hung: the CLI pause's engine, gone, had left its cancelled exit
// wait in the shared ring under the token this engine's slot then had.)
TEST_F(EngineTest, AnEarlierFailureDoesNotFailALaterDelete) {
  container("c1");
  ASSERT_FALSE(on_engine(*rt_, "c1", E::pause, SIGTERM, Until::paused));
  Engine e(*rt_, {.ring_entries = 64, .spawner = false});
  ASSERT_TRUE(adopt(e, "c1"));
  ASSERT_TRUE(e.request("c1", E::pause));  // fails inside: the cgroup is not there
  ASSERT_EQ(e.view("c1")->state, S::running);
  ASSERT_TRUE(e.request("c1", E::force_remove, SIGKILL));
  ASSERT_TRUE(step_until(e, E::remove));
  EXPECT_EQ(errors_.back(), "") << "the delete's own answer";
  EXPECT_FALSE(rt_->store().exists("c1"));
}

TEST_F(EngineTest, TheCliPauseOfSuchAContainerFailsWithTheKernelsWord) {
  container("c1");
  auto r = on_engine(*rt_, "c1", E::pause, SIGTERM, Until::paused);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("freeze cgroup /ringc-engine-test/c1"), std::string::npos)
      << r.error().what();
  EXPECT_EQ(observed_state(rt_->store().read("c1").value().view()), S::running);
  // A refused request changes nothing: start of a running container.
  auto s = on_engine(*rt_, "c1", E::start, SIGTERM, Until::running);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().what(), "cannot start container \"c1\" in state running");
}

TEST_F(EngineTest, ACompletionForARecycledSlotIsDropped) {
  Engine e(*rt_, {.ring_entries = 64, .spawner = false});
  container("c1");
  ASSERT_TRUE(adopt(e, "c1"));
  uint64_t stale = EngineProbe::exit_token(e, "c1");
  ASSERT_TRUE(e.request("c1", E::force_remove, SIGKILL));
  ASSERT_TRUE(step_until(e, E::remove));  // the gone notice
  EXPECT_FALSE(e.has("c1"));
  EXPECT_FALSE(rt_->store().exists("c1"));
  container("c2");
  ASSERT_TRUE(adopt(e, "c2"));
  ASSERT_NE(EngineProbe::exit_token(e, "c2"), stale) << "same slot, a new generation";
  uint64_t refused = e.stats().refused;
  EngineProbe::complete(e, stale, 0);  // the old container's exit, late
  EXPECT_EQ(e.view("c2")->state, S::running);
  EXPECT_EQ(e.stats().refused, refused) << "dropped before the table is asked";
}

TEST_F(EngineTest, AStartThatCannotReachTheInitLeavesItCreated) {
  Engine e(*rt_, {.ring_entries = 64, .spawner = false});
  container("c1", S::created);
  ASSERT_EQ(adopt(e, "c1").value(), S::created);
  // A start on a container created by `ringc create` writes its exec fifo;
  // here there is none: release_failed (once the record that says running
  // is written), and it stays created.
  ASSERT_TRUE(e.request("c1", E::start));
  ASSERT_TRUE(step_until(e, E::release_failed));
  EXPECT_EQ(e.view("c1")->state, S::created);
  ASSERT_TRUE(e.request("c1", E::kill, SIGKILL));
  ASSERT_TRUE(step_until(e, E::exited));
  EXPECT_EQ(e.view("c1")->state, S::stopped);
  uint64_t refused = e.stats().refused;
  // A request the table refuses is an error with runc's words...
  auto r = e.request("c1", E::resume);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "cannot resume container \"c1\" in state stopped");
  EXPECT_EQ(e.stats().refused, refused);
  // ...an observation it refuses (an exec reported after the exit) is
  // counted and changes nothing.
  EngineProbe::complete(e, "c1", EngineProbe::kExecDone, 0);
  EXPECT_EQ(e.stats().refused, refused + 1);
  EXPECT_EQ(e.view("c1")->state, S::stopped);
}

// Records are written through the ring (a chain of linked operations on a
// direct descriptor) and a notice waits for its record: whoever hears of a
// transition finds it on disk. Through the ring here (an engine not made
// for a one-shot verb); a kill between the write's steps cannot leave a
// torn record, the rename being the last.
TEST_F(EngineTest, ANoticeWaitsForItsRecordWrittenThroughTheRing) {
  Engine e(*rt_, {.ring_entries = 64, .spawner = false});
  auto ring = e.ring();
  ASSERT_TRUE(ring);
  if (!ring.value()->register_files())
    GTEST_SKIP() << "no registered file table (kernel before 5.19): records are written in place";
  container("c1");
  ASSERT_TRUE(adopt(e, "c1"));
  std::vector<fsm::State> on_disk;
  e.on_notice = [&](const Notice& n) {
    auto rec = rt_->store().read(n.id);
    on_disk.push_back(rec ? rec.value()->status() : S::creating);
  };
  ASSERT_TRUE(e.request("c1", E::kill, SIGKILL));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (on_disk.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    auto ts = ring::to_timespec(std::chrono::milliseconds(50));
    ring::prep_timeout(*ring.value(), ring::kIgnored, &ts);
    ASSERT_TRUE(e.step());
  }
  ASSERT_EQ(on_disk.size(), 2u);      // kill (running), exited (stopped)
  EXPECT_EQ(on_disk[1], S::stopped);  // told only once the record says so
  auto rec = rt_->store().read("c1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec.value()->exit_code(), 128 + SIGKILL);
  EXPECT_FALSE(std::filesystem::exists(rt_->store().dir("c1") + "/state.tmp"));
}

}  // namespace
}  // namespace ringc
