// exec on the engine without root: the container's table allows it, the
// process follows fsm/exec.h. The fake's setup process exits at once and
// its "process" is a sleep; the test plays the setup's side of the socket
// (the pid, an error, the exec by closing it).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "tests/unit/fake_engine.h"

namespace ringc::test {
namespace {

class FakeExec : public FakeEngine {
 protected:
  void SetUp() override {
    FakeEngine::SetUp();
    engine_->on_exec = [this](const ExecNotice& n) {
      execs_.push_back({n.state, n.pid, n.exit_code, std::string(n.error)});
    };
  }
  // A container whose program runs.
  void running(const std::string& id) {
    ASSERT_TRUE(launch(id, true));
    ASSERT_TRUE(send_message(init_end(id), message(MsgKind::ready)));
    ::close(fx_.init_end.at(cg(id)));  // the program's exec
    fx_.init_end.erase(cg(id));
    ASSERT_TRUE(step_until([&] { return seen(E::exec_done); }));
  }
  ExecRequest request() {
    ExecRequest r;
    r.spec = std::make_shared<const Spec>();
    r.process.args = {"sh"};
    return r;
  }
  void report_pid() {
    HandshakeMsg m = message(MsgKind::pid);
    m.pid = fx_.exec_pid;
    ASSERT_TRUE(send_message(fx_.exec_end, m));
  }
  void close_exec_end() {
    ::close(fx_.exec_end);
    fx_.exec_end = -1;
  }
  bool reaped(pid_t pid) { return ::kill(pid, 0) < 0 && errno == ESRCH; }

  struct Told {
    fsm::ExecState state;
    pid_t pid;
    int exit_code;
    std::string error;
  };
  std::vector<Told> execs_;
};

using X = fsm::ExecState;

// The whole way: pid reported, the socket's close read as the exec, the
// exit (a signal through signal_exec) with its code, and the process reaped.
TEST_F(FakeExec, AProcessStartsRunsAndExits) {
  running("c1");
  auto h = engine_->exec("c1", request());
  ASSERT_TRUE(h) << h.error().what();
  EXPECT_TRUE(called("clone-exec sh"));
  EXPECT_TRUE(seen(E::exec));
  report_pid();
  close_exec_end();
  ASSERT_TRUE(step_until([&] { return !execs_.empty(); }));
  EXPECT_EQ(execs_[0].state, X::running);
  EXPECT_EQ(execs_[0].pid, fx_.exec_pid);
  EXPECT_EQ(engine_->view("c1")->state, S::running);  // the container's state is its own
  ASSERT_TRUE(engine_->signal_exec("c1", fx_.exec_pid, SIGKILL));
  ASSERT_TRUE(step_until([&] { return execs_.size() == 2; }));
  EXPECT_EQ(execs_[1].state, X::exited);
  EXPECT_EQ(execs_[1].exit_code, 128 + SIGKILL);
  EXPECT_TRUE(reaped(fx_.exec_pid));
  EXPECT_FALSE(engine_->signal_exec("c1", fx_.exec_pid, SIGKILL));  // gone with its run
}

// The process reports why its setup failed inside the container: that is
// the answer, and the process (which exits next, or is killed) is reaped.
TEST_F(FakeExec, ASetupErrorInsideIsTheAnswer) {
  running("c1");
  ASSERT_TRUE(engine_->exec("c1", request()));
  report_pid();
  ASSERT_TRUE(send_message(fx_.exec_end,
                           error_message(ringc_error(Errc::init_failed, "exec sh: not found"))));
  ASSERT_TRUE(step_until([&] { return !execs_.empty(); }));
  EXPECT_EQ(execs_[0].state, X::failed);
  EXPECT_EQ(execs_[0].error, "exec sh: not found");
  ASSERT_TRUE(step_until([&] { return reaped(fx_.exec_pid); }));
  EXPECT_EQ(execs_.size(), 1u);  // its exit is not told again
}

// Race: the setup process dies before it said a pid (killed, or its
// setns refused without a word): failed, with why.
TEST_F(FakeExec, ASetupProcessGoneWithoutAPidFails) {
  running("c1");
  ASSERT_TRUE(engine_->exec("c1", request()));
  close_exec_end();
  ASSERT_TRUE(step_until([&] { return !execs_.empty(); }));
  EXPECT_EQ(execs_[0].state, X::failed);
  EXPECT_EQ(execs_[0].error, "exec: the setup process died");
}

// A message out of order (an init's ready where the pid belongs) names
// what was expected and what came.
TEST_F(FakeExec, AnUnexpectedMessageSaysWhichCame) {
  running("c1");
  ASSERT_TRUE(engine_->exec("c1", request()));
  ASSERT_TRUE(send_message(fx_.exec_end, message(MsgKind::ready)));
  ASSERT_TRUE(step_until([&] { return !execs_.empty(); }));
  EXPECT_EQ(execs_[0].state, X::failed);
  EXPECT_NE(execs_[0].error.find("ready"), std::string::npos) << execs_[0].error;
}

// The container's table decides first: a paused container takes only
// exec --ignore-paused, a stopped one none; a refused clone makes nothing.
TEST_F(FakeExec, TheContainersTableAndTheKernelCanRefuse) {
  running("c1");
  await(Until::paused);
  ASSERT_TRUE(engine_->request("c1", E::pause));
  ASSERT_TRUE(step_until([&] { return answered_.has_value(); }));
  auto r = engine_->exec("c1", request());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("cannot exec in paused container \"c1\""), std::string::npos)
      << r.error().what();
  EXPECT_FALSE(called("clone-exec sh"));
  fx_.refuse_exec = true;
  auto req = request();
  req.ignore_paused = true;
  r = engine_->exec("c1", std::move(req));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "clone3: the fake says no");
  EXPECT_TRUE(execs_.empty());
  // A terminal with nowhere to send the pty.
  fx_.refuse_exec = false;
  req = request();
  req.ignore_paused = true;
  req.process.terminal = true;
  r = engine_->exec("c1", std::move(req));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("console socket"), std::string::npos) << r.error().what();
}

}  // namespace
}  // namespace ringc::test
