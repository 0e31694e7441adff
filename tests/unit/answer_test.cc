// When a request made of the engine is answered: the rule the daemon's
// replies and the CLI's one-slot verbs share (core/engine/answer.h).
#include <gtest/gtest.h>

#include "core/engine/answer.h"

namespace ringc {
namespace {

using S = fsm::State;
using E = fsm::Event;

Notice note(S from, S to, E e, std::string_view error = {}, bool gone = false, int code = -1) {
  return Notice{"web", from, to, e, code, error, gone, 0, {}};
}

TEST(Answer, PauseIsAnsweredWhenTheKernelSaysFrozen) {
  Awaiting w{Until::paused, kNoExitYet, {}};
  EXPECT_FALSE(answer(w, note(S::running, S::paused, E::pause)));
  auto a = answer(w, note(S::paused, S::paused, E::frozen));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok);
}

TEST(Answer, AFailedFreezeFailsThePauseWithWhy) {
  Awaiting w{Until::paused, kNoExitYet, {}};
  auto a = answer(w, note(S::paused, S::running, E::freeze_failed, "cgroup /ringc/web not frozen"));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->ok);
  EXPECT_EQ(a->error, "cgroup /ringc/web not frozen");
  Awaiting r{Until::resumed, kNoExitYet, {}};
  a = answer(r, note(S::running, S::paused, E::thaw_failed, "thaw cgroup x: busy"));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->ok);
}

TEST(Answer, StartIsAnsweredAtExecOrFailsWhenTheInitCannotBeReached) {
  Awaiting w{Until::running, kNoExitYet, {}};
  EXPECT_FALSE(answer(w, note(S::created, S::running, E::start)));
  EXPECT_TRUE(answer(w, note(S::running, S::running, E::exec_done))->ok);
  Awaiting f{Until::running, kNoExitYet, {}};
  auto a = answer(f, note(S::running, S::created, E::release_failed, "cannot start: no fifo"));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->error, "cannot start: no fifo");
}

TEST(Answer, AnExitBeforeTheAnswerFailsItNamingTheCause) {
  Awaiting w{Until::running, kNoExitYet, {}};
  auto a = answer(w, note(S::running, S::stopped, E::exited, {}, false, 1));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->ok);
  EXPECT_EQ(a->error, "container \"web\" ended (exited)");
}

TEST(Answer, AFailedLaunchIsAnsweredOnlyOnceNothingIsLeft) {
  Awaiting w{Until::created, kNoExitYet, {}};
  EXPECT_FALSE(answer(w, note(S::creating, S::deleting, E::init_failed, "mount /proc: EPERM")));
  EXPECT_FALSE(answer(w, note(S::deleting, S::deleting, E::exited)));
  auto a = answer(w, note(S::deleting, S::deleting, E::remove, {}, true));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->ok);
  EXPECT_EQ(a->error, "mount /proc: EPERM");
}

// An init that died before its handshake was read failed the run with
// "ended (exited)"; the reason it wrote came a moment later.
TEST(Answer, AnInitsExitBeforeReadyWaitsForItsReason) {
  Awaiting w{Until::running, kNoExitYet, {}};
  EXPECT_FALSE(answer(w, note(S::creating, S::deleting, E::exited)));
  auto a =
      answer(w, note(S::deleting, S::deleting, E::remove, "mount /proc: not a directory", true));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->ok);
  EXPECT_EQ(a->error, "mount /proc: not a directory");
}

TEST(Answer, RunRmKeepsTheExitCodeUntilTheContainerIsGone) {
  Awaiting w{Until::removed, kNoExitYet, {}};
  EXPECT_FALSE(answer(w, note(S::running, S::stopped, E::exited, {}, false, 3)));
  auto a = answer(w, note(S::deleting, S::deleting, E::remove, {}, true));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok);
  EXPECT_EQ(a->exit_code, 3);
}

TEST(Answer, DeleteCarriesAPoststopWarningOrTheTeardownError) {
  Awaiting w{Until::gone, kNoExitYet, {}};
  Notice n = note(S::deleting, S::deleting, E::remove, {}, true);
  n.warning = "poststop hook #0: exit status 2";
  auto a = answer(w, n);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->ok);
  EXPECT_EQ(a->warning, "poststop hook #0: exit status 2");
  Awaiting e{Until::gone, kNoExitYet, {}};
  a = answer(e, note(S::deleting, S::deleting, E::remove, "remove cgroup /ringc/web: busy", true));
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->ok);
}

}  // namespace
}  // namespace ringc
