// Hooks at the points runtime-spec v1.3 fixes, each given the state JSON.
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "tests/priv/harness.h"

namespace ringc::test {

namespace {
// A host script that saves its stdin as DIR/<kind>.json and appends
// <kind> to DIR/order.
std::string recorder(const std::string& dir) {
  mkdir(dir.c_str(), 0755);
  std::string path = dir + "/hook.sh";
  std::ofstream(path) << "#!/bin/sh\ncat > " << dir << "/$1.json\necho $1 >> " << dir
                      << "/order\n[ -z \"$FAIL\" ] || exit $FAIL\n";
  chmod(path.c_str(), 0755);
  return path;
}

std::string hook(const std::string& path, const std::string& kind, const std::string& extra = "") {
  return "{\"path\": \"" + path + "\", \"args\": [\"hook.sh\", \"" + kind + "\"]" + extra + "}";
}

std::function<void(std::string&)> with_hooks(const std::string& hooks) {
  return [hooks](std::string& c) {
    replace(c, "\"linux\": {", "\"hooks\": " + hooks + ", \"linux\": {");
  };
}
}  // namespace

// Every kind runs once, in order; the runtime's hooks see the host pid,
// startContainer runs inside the container (its path resolved there) and
// prints its state to the program's stderr.
TEST_F(Priv, HooksRunInOrderWithTheirState) {
  std::string dir = root_ + ".hooks";
  std::string h = recorder(dir);
  std::string hooks = "{\"prestart\": [" + hook(h, "prestart") + "], \"createRuntime\": [" +
                      hook(h, "createRuntime") + "], \"createContainer\": [" +
                      hook(h, "createContainer") +
                      "], \"startContainer\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", "
                      "\"cat >&2\"]}], \"poststart\": [" +
                      hook(h, "poststart") + "], \"poststop\": [" + hook(h, "poststop") + "]}";
  std::string c = id("hooks");
  std::string b = bundle({"true"}, with_hooks(hooks));
  Cmd r = ringc({"create", "--pid-file", root_ + ".pid", "-b", b, c});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string pid = slurp(root_ + ".pid");
  EXPECT_EQ(slurp(dir + "/order"), "prestart\ncreateRuntime\ncreateContainer\n");
  std::string creating = "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"" + c +
                         "\",\"status\":\"creating\",\"pid\":" + pid + ",\"bundle\":\"" + b + "\"}";
  EXPECT_EQ(slurp(dir + "/prestart.json"), creating);
  EXPECT_EQ(slurp(dir + "/createRuntime.json"), creating);
  EXPECT_EQ(slurp(dir + "/createContainer.json"), creating);
  ASSERT_EQ(ringc({"start", c}).code, 0);
  EXPECT_NE(slurp(dir + "/poststart.json").find("\"status\":\"running\",\"pid\":" + pid),
            std::string::npos);
  Running w = ringc_async({"events", c});  // ends when the container exits
  w.wait();
  r = ringc({"delete", c});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(slurp(dir + "/order"),
            "prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop\n");
  EXPECT_NE(slurp(dir + "/poststop.json").find("\"status\":\"stopped\""), std::string::npos);
}

TEST_F(Priv, StartContainerHookSeesCreatedInside) {
  std::string hooks =
      "{\"startContainer\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", "
      "\"cat; echo; hostname\"]}]}";
  std::string c = id("starthook");
  Cmd r = ringc({"run", "-b", bundle({"echo", "program"}, with_hooks(hooks)), c});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"id\":\"" + c + "\",\"status\":\"created\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("}\nringc\nprogram\n"), std::string::npos) << r.out;
}

// A hook that fails or overruns its timeout (killed by a ring timer)
// fails create, which leaves nothing behind (checked in TearDown).
TEST_F(Priv, FailingOrHungHookFailsCreate) {
  std::string dir = root_ + ".hooks";
  std::string h = recorder(dir);
  std::string fail =
      "{\"createRuntime\": [" + hook(h, "createRuntime", ", \"env\": [\"FAIL=3\"]") + "]}";
  Cmd r = ringc({"create", "-b", bundle({"true"}, with_hooks(fail)), id("failhook")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: createRuntime hook #0 (" + h + "): exit status 3\n");
  std::string hang =
      "{\"prestart\": [{\"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"60\"], "
      "\"timeout\": 1}]}";
  r = ringc({"create", "-b", bundle({"true"}, with_hooks(hang)), id("hanghook")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: prestart hook #0 (/bin/sleep): timed out after 1 s, killed\n");
  hang =
      "{\"createContainer\": [{\"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"60\"], "
      "\"timeout\": 1}]}";
  r = ringc({"create", "-b", bundle({"true"}, with_hooks(hang)), id("hanghook")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: createContainer hook #0 (/bin/sleep): timed out after 1 s, killed\n");
}

// poststart failing stops the container and fails start; poststop
// failing is only a warning.
TEST_F(Priv, PoststartFailureStopsPoststopFailureWarns) {
  std::string dir = root_ + ".hooks";
  std::string h = recorder(dir);
  std::string hooks = "{\"poststart\": [" + hook(h, "poststart", ", \"env\": [\"FAIL=1\"]") +
                      "], \"poststop\": [" + hook(h, "poststop", ", \"env\": [\"FAIL=2\"]") + "]}";
  std::string c = id("posthooks");
  ASSERT_EQ(ringc({"create", "-b", bundle({"sleep", "60"}, with_hooks(hooks)), c}).code, 0);
  Cmd r = ringc({"start", c});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: container stopped: poststart hook #0 (" + h + "): exit status 1\n");
  Running w = ringc_async({"events", c});
  w.wait();
  r = ringc({"state", c});
  EXPECT_NE(r.out.find("\"status\": \"stopped\""), std::string::npos) << r.out;
  r = ringc({"delete", c});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.err, "ringc: warning: poststop hook #0 (" + h + "): exit status 2\n");
}

// The engine runs the runtime's hooks at the same points, each exit a
// completion: a batch, one at a time, gives each container the CLI's order
// and states (startContainer prints inside, as with the CLI).
TEST_F(Priv, EngineRunsEachHookAtItsPoint) {
  std::string dir = root_ + ".hooks";
  std::string h = recorder(dir);
  std::string hooks = "{\"prestart\": [" + hook(h, "prestart") + "], \"createRuntime\": [" +
                      hook(h, "createRuntime") + "], \"createContainer\": [" +
                      hook(h, "createContainer") + "], \"poststart\": [" + hook(h, "poststart") +
                      "], \"poststop\": [" + hook(h, "poststop") + "]}";
  std::string prefix = id("eh");
  Cmd r = ringc({"batch", "-b", bundle({"true"}, with_hooks(hooks)), "--count", "3", "--parallel",
                 "1", "--id-prefix", prefix});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  std::string one = "prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop\n";
  EXPECT_EQ(slurp(dir + "/order"), one + one + one);
  std::string last = "\"id\":\"" + prefix + "-2\",\"status\":";
  EXPECT_NE(slurp(dir + "/prestart.json").find(last + "\"creating\",\"pid\":"), std::string::npos);
  EXPECT_NE(slurp(dir + "/poststart.json").find(last + "\"running\",\"pid\":"), std::string::npos);
  EXPECT_NE(slurp(dir + "/poststop.json").find(last + "\"stopped\",\"pid\":0"), std::string::npos);
}

// Through the daemon a hook fails as it does through the CLI: prestart
// fails the create and leaves nothing (TearDown checks), an overrunning
// createRuntime is killed by its ring timeout, a failing poststart stops
// the container and fails the run, a failing poststop only warns (the
// delete's client prints the warning, as runc's delete does).
TEST_F(Priv, DaemonHooksFailAsTheClisDo) {
  std::string dir = root_ + ".hooks";
  std::string h = recorder(dir);
  std::string sock = root_ + ".sock";
  Running d = ringc_async({"daemon", "--socket", sock});
  ASSERT_NE(d.read_line().find("listening"), std::string::npos);
  auto via = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--daemon", sock});
    return ringc(args);
  };
  auto failing = [&](const char* kind, const char* code) {
    return with_hooks("{\"" + std::string(kind) + "\": [" +
                      hook(h, kind, std::string(", \"env\": [\"FAIL=") + code + "\"]") + "]}");
  };
  Cmd r = via({"run", "-d", "-b", bundle({"sleep", "100"}, failing("prestart", "3")), id("pre")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: prestart hook #0 (" + h + "): exit status 3\n");
  std::string hang =
      "{\"createRuntime\": [{\"path\": \"/bin/sleep\", \"args\": [\"sleep\", \"60\"], "
      "\"timeout\": 1}]}";
  r = via({"run", "-d", "-b", bundle({"sleep", "100"}, with_hooks(hang)), id("hang")});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: createRuntime hook #0 (/bin/sleep): timed out after 1 s, killed\n");
  std::string post = id("post");
  r = via({"run", "-d", "-b", bundle({"sleep", "100"}, failing("poststart", "4")), post});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "ringc: container stopped: poststart hook #0 (" + h + "): exit status 4\n");
  EXPECT_NE(via({"state", post}).out.find("\"status\": \"stopped\""), std::string::npos);
  EXPECT_EQ(via({"delete", post}).code, 0);
  std::string stop = id("stop");
  ASSERT_EQ(via({"run", "-d", "-b", bundle({"sleep", "100"}, failing("poststop", "5")), stop}).code,
            0);
  r = via({"delete", "--force", stop});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.err, "ringc: warning: poststop hook #0 (" + h + "): exit status 5\n");
  EXPECT_EQ(slurp(dir + "/order"), "prestart\npoststart\npoststop\n");
  kill(d.pid, SIGTERM);
  EXPECT_EQ(d.wait(), 0);
}

}  // namespace ringc::test
