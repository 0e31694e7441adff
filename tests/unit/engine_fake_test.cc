// The engine's launch and lifecycle without root: its effects are a
// recording fake (tests/unit/fake_effects.h) whose inits are plain child
// processes, the test playing the init's side of the handshake. The ring,
// the table and the answers are the real ones.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/answer.h"
#include "core/engine/engine.h"
#include "core/init/handshake.h"
#include "ring/ops.h"
#include "tests/unit/fake_engine.h"

namespace ringc::test {
namespace {

TEST_F(FakeEngine, ALaunchIsCreatedWhenItsInitReportsReady) {
  await(Until::created);
  ASSERT_TRUE(launch("c1"));
  EXPECT_TRUE(called("launch " + cg("c1")));
  EXPECT_EQ(engine_->view("c1")->launch, fsm::LaunchPhase::handshake);  // cloned, awaited
  ASSERT_TRUE(send_message(init_end("c1"), message(MsgKind::ready)));
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  EXPECT_TRUE(answered_->ok) << answered_->error;
  EXPECT_EQ(engine_->view("c1")->state, S::created);
  EXPECT_EQ(engine_->view("c1")->launch, fsm::LaunchPhase::none);  // settled
  EXPECT_TRUE(called("record created"));
  auto rec = rt_->store().read("c1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec.value()->status(), S::created);
}

// Where the root outlives a reboot the claim is synced, but after the
// init is cloned (it sets up meanwhile), and before the next record.
TEST_F(FakeEngine, ADurableClaimIsSyncedAfterTheCloneBeforeTheNextRecord) {
  await(Until::created);
  ASSERT_TRUE(launch("c1"));
  if (!rt_->store().durable()) GTEST_SKIP() << root_ << " is on a tmpfs: records are not synced";
  ASSERT_TRUE(send_message(init_end("c1"), message(MsgKind::ready)));
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  auto at = [&](const std::string& c) {
    return std::find(fx_.calls.begin(), fx_.calls.end(), c) - fx_.calls.begin();
  };
  ASSERT_TRUE(called("sync-claim"));
  EXPECT_LT(at("launch " + cg("c1")), at("sync-claim"));
  EXPECT_LT(at("sync-claim"), at("record created"));
}

// The init's own report of why it failed is the answer, given once
// nothing of the container is left.
TEST_F(FakeEngine, AnInitsErrorIsTheAnswerOnceNothingIsLeft) {
  await(Until::created);
  ASSERT_TRUE(launch("c1"));
  HandshakeMsg err = error_message(ringc_error(Errc::init_failed, "mount proc: no such device"));
  ASSERT_TRUE(send_message(init_end("c1"), err));
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  EXPECT_FALSE(answered_->ok);
  EXPECT_EQ(answered_->error, "mount proc: no such device");
  EXPECT_TRUE(gone_);
  EXPECT_TRUE(called("signal 9"));
  EXPECT_FALSE(engine_->has("c1"));
  EXPECT_FALSE(rt_->store().exists("c1"));
}

// An init whose clone the kernel refuses: the caller hears why at once,
// and neither a record nor a slot is left.
TEST_F(FakeEngine, ALaunchTheKernelRefusesLeavesNothing) {
  fx_.refuse_launch = true;
  auto r = launch("c1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "clone3: the fake says no");
  EXPECT_FALSE(engine_->has("c1"));
  EXPECT_FALSE(rt_->store().exists("c1"));
}

// Race: the program dies after the start byte went out but before its
// exec is seen. The start is answered with the exit, and the container is
// stopped with the signal's code.
TEST_F(FakeEngine, AnExitBeforeTheExecIsSeenFailsTheStart) {
  ASSERT_NO_FATAL_FAILURE(created_then_started("c1"));
  char b = 0;
  ASSERT_EQ(::recv(init_end("c1"), &b, 1, 0), 1);
  EXPECT_EQ(b, char(Go::start));
  ::kill(fx_.init_pid.at(cg("c1")), SIGKILL);  // its socket stays open: no exec seen
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  EXPECT_FALSE(answered_->ok);
  EXPECT_EQ(engine_->view("c1")->state, S::stopped);
  EXPECT_EQ(engine_->view("c1")->exit_code, 128 + SIGKILL);
  EXPECT_TRUE(called("record stopped"));
}

// start: the byte, then the socket's close at exec is exec_done; pause
// asks the kernel and answers when it says frozen; a delete signals and
// leaves nothing.
TEST_F(FakeEngine, StartPauseAndDeleteGoThroughTheEffects) {
  ASSERT_NO_FATAL_FAILURE(created_then_started("c1"));
  ::close(fx_.init_end.at(cg("c1")));  // as exec closes it (CLOEXEC)
  fx_.init_end.erase(cg("c1"));
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  EXPECT_TRUE(answered_->ok) << answered_->error;
  EXPECT_TRUE(called("record running"));
  await(Until::paused);
  ASSERT_TRUE(engine_->request("c1", E::pause));
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  EXPECT_TRUE(answered_->ok) << answered_->error;
  EXPECT_TRUE(called("freeze 1"));
  EXPECT_TRUE(called("record paused"));
  EXPECT_EQ(engine_->view("c1")->freezer, fsm::FreezerState::frozen);
  await(Until::gone);
  ASSERT_TRUE(engine_->request("c1", E::force_remove));
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  EXPECT_TRUE(answered_->ok) << answered_->error;
  EXPECT_TRUE(called("freeze 0"));  // thawed so that the kill lands
  EXPECT_TRUE(called("signal 9"));
  EXPECT_FALSE(rt_->store().exists("c1"));
}

// A pause the kernel refuses is the table's freeze_failed: running again,
// with why.
TEST_F(FakeEngine, APauseTheKernelRefusesGoesBackToRunning) {
  ASSERT_TRUE(launch("c1", true));
  ASSERT_TRUE(send_message(init_end("c1"), message(MsgKind::ready)));
  ::close(fx_.init_end.at(cg("c1")));
  fx_.init_end.erase(cg("c1"));
  ASSERT_TRUE(step_until([&] { return seen(E::exec_done); }));
  fx_.refuse_freeze = true;
  await(Until::paused);
  ASSERT_TRUE(engine_->request("c1", E::pause));
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  EXPECT_FALSE(answered_->ok);
  EXPECT_NE(answered_->error.find("freeze cgroup " + cg("c1")), std::string::npos)
      << answered_->error;
  EXPECT_EQ(engine_->view("c1")->state, S::running);
  EXPECT_EQ(engine_->view("c1")->freezer, fsm::FreezerState::thawed);
  EXPECT_TRUE(seen(E::freeze_failed));
}

// The container is paused at once (its table), its freezer `freezing`
// until the kernel says frozen; a kill meanwhile thaws it (a v1-frozen
// task dies of SIGKILL only once thawed) and nothing is told of the
// pause that will not settle.
TEST_F(FakeEngine, APauseSettlesWhenTheKernelSaysAndAKillThawsIt) {
  ASSERT_TRUE(launch("c1", true));
  ASSERT_TRUE(send_message(init_end("c1"), message(MsgKind::ready)));
  ::close(fx_.init_end.at(cg("c1")));
  fx_.init_end.erase(cg("c1"));
  ASSERT_TRUE(step_until([&] { return seen(E::exec_done); }));
  fx_.kernel_slow = true;
  ASSERT_TRUE(engine_->request("c1", E::pause));
  EXPECT_EQ(engine_->view("c1")->state, S::paused);
  EXPECT_EQ(engine_->view("c1")->freezer, fsm::FreezerState::freezing);
  ASSERT_TRUE(step_until([&] { return fx_.calls.back() == "freeze 1"; }));
  EXPECT_FALSE(seen(E::frozen));
  fx_.kernel_frozen = true;  // the kernel is done: the next re-read sees it
  ASSERT_TRUE(step_until([&] { return seen(E::frozen); }));
  EXPECT_EQ(engine_->view("c1")->freezer, fsm::FreezerState::frozen);

  fx_.kernel_slow = false;
  await(Until::gone);
  ASSERT_TRUE(engine_->request("c1", E::force_remove));
  EXPECT_EQ(engine_->view("c1")->freezer, fsm::FreezerState::thawed);
  EXPECT_FALSE(fx_.kernel_frozen);
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  EXPECT_TRUE(answered_->ok) << answered_->error;
  EXPECT_FALSE(seen(E::thawed));
}

// A restart policy starts an init that exited again, unless the exit was
// a stop's (the table's record_stop): a killed one comes back, a stopped
// one stays stopped.
TEST_F(FakeEngine, AStoppedContainerIsNotRestartedAKilledOneIs) {
  auto p = std::make_shared<Prepared>();
  p->bundle = root_;
  p->rootfs = root_;
  p->cgroup_path = cg("c1");
  LaunchRequest lr;
  lr.id = "c1";
  lr.cgroup_path = p->cgroup_path;
  lr.prepared = std::move(p);
  lr.start = true;
  lr.restart = RestartPolicy{RestartKind::always, 0};
  ASSERT_TRUE(engine_->launch(std::move(lr)));
  ASSERT_TRUE(send_message(init_end("c1"), message(MsgKind::ready)));
  ASSERT_TRUE(step_until([&] { return seen(E::exec_done) || seen(E::init_ready); }));

  ASSERT_TRUE(engine_->request("c1", E::kill, SIGKILL));
  ASSERT_TRUE(step_until([&] { return engine_->view("c1")->restarts == 1; }));
  ASSERT_EQ(std::count(fx_.calls.begin(), fx_.calls.end(), "launch " + cg("c1")), 2);
  ASSERT_TRUE(send_message(init_end("c1"), message(MsgKind::ready)));
  ASSERT_TRUE(step_until([&] { return engine_->view("c1")->state == S::running; }));

  events_.clear();
  ASSERT_TRUE(engine_->request("c1", E::stop, SIGTERM, std::chrono::milliseconds(10'000)));
  ASSERT_TRUE(step_until([&] { return seen(E::exited); }));
  EXPECT_EQ(engine_->view("c1")->state, S::stopped);
  // A restart would be due in 100 ms or so (the policy's first delay):
  // stepping well past it starts nothing.
  auto until = std::chrono::steady_clock::now() + 4 * kRestartFirst;
  step_until([&] { return std::chrono::steady_clock::now() > until; });
  EXPECT_EQ(engine_->view("c1")->restarts, 1);
  EXPECT_EQ(std::count(fx_.calls.begin(), fx_.calls.end(), "launch " + cg("c1")), 2);
  EXPECT_EQ(engine_->view("c1")->state, S::stopped);
}

// Race: the spawner process (which clones inits where the host has the
// cores) dies with a request of ours unanswered. The launch fails with
// why, and nothing of it is left.
TEST_F(FakeEngine, ASpawnerThatDiesMidLaunchFailsTheLaunch) {
  const char* was = std::getenv("RINGC_SPAWNER");
  std::string saved = was ? was : "";
  ::setenv("RINGC_SPAWNER", "1", 1);
  engine_.reset();
  engine_ = std::make_unique<Engine>(
      *rt_, EngineOptions{.ring_entries = 64, .spawner = true, .effects = &fx_});
  engine_->on_notice = [this](const Notice& n) {
    if (wait_ && !answered_) answered_ = answer(*wait_, n);
  };
  ASSERT_TRUE(engine_->ring());
  if (was)
    ::setenv("RINGC_SPAWNER", saved.c_str(), 1);
  else
    ::unsetenv("RINGC_SPAWNER");
  pid_t spawner = engine_->spawner_pid();
  ASSERT_GT(spawner, 0);
  ::kill(spawner, SIGSTOP);  // the request waits in its socket
  await(Until::created);
  ASSERT_TRUE(launch("c1"));
  ::kill(spawner, SIGKILL);
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  EXPECT_FALSE(answered_->ok);
  EXPECT_EQ(answered_->error, "the spawner exited before it answered");
  EXPECT_FALSE(engine_->has("c1"));
  EXPECT_FALSE(rt_->store().exists("c1"));
}

}  // namespace
}  // namespace ringc::test
