// The daemon protocol's requests and replies, without a daemon.
#include <gtest/gtest.h>

#include "core/supervisor/protocol.h"
#include "core/verbs/exec.h"

namespace ringc::cli {
namespace {

TEST(Protocol, RequestRoundTrip) {
  Request r;
  r.op = "run";
  r.id = "web";
  r.bundle = "/b \"q\"";
  r.rm = true;
  r.restart = {RestartKind::on_failure, 3};
  r.console_socket = "/run/c.sock";
  r.no_pivot = true;
  r.stdio = true;
  r.fds = 3;
  r.listen_fds = 1;
  std::string line = request_json(r);
  ASSERT_EQ(line.back(), '\n');
  auto back = parse_request(line.substr(0, line.size() - 1));
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(back.value().op, "run");
  EXPECT_EQ(back.value().bundle, "/b \"q\"");
  EXPECT_TRUE(back.value().rm);
  EXPECT_EQ(back.value().restart.max, 3);
  EXPECT_EQ(back.value().seq, "null");
  EXPECT_EQ(back.value().console_socket, "/run/c.sock");
  EXPECT_TRUE(back.value().no_pivot);
  EXPECT_FALSE(back.value().no_new_keyring);
  EXPECT_TRUE(back.value().stdio);
  EXPECT_EQ(back.value().fds, 3u);
  EXPECT_EQ(back.value().listen_fds, 1u);
  EXPECT_FALSE(back.value().size);

  Request pool;
  pool.op = "pool";
  pool.bundle = "/b";
  pool.size = 0;  // 0 is a size: the pool's inits removed
  auto p = parse_request(request_json(pool));
  ASSERT_TRUE(p) << p.error().what();
  ASSERT_TRUE(p.value().size);
  EXPECT_EQ(*p.value().size, 0u);
}

TEST(Protocol, UpdateCarriesItsResourcesObject) {
  Request r;
  r.op = "update";
  r.id = "web";
  r.resources = R"({"memory":{"limit":67108864},"pids":{"limit":7}})";
  std::string line = request_json(r);
  auto back = parse_request(line.substr(0, line.size() - 1));
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_EQ(back.value().resources, r.resources);
}

TEST(Protocol, SeqIsEchoedVerbatim) {
  auto r = parse_request(R"({"op":"stats","seq":{"n":[1,2]}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(reply_ok(r.value().seq, "\"x\":1"), "{\"seq\":{\"n\":[1,2]},\"ok\":true,\"x\":1}\n");
  EXPECT_EQ(reply_error("7", "no \"such\""),
            "{\"seq\":7,\"ok\":false,\"error\":\"no \\\"such\\\"\"}\n");
}

TEST(Protocol, BadRequestsNameTheField) {
  struct Case {
    const char* line;
    const char* error;
  } cases[] = {
      {"[1]", "request: must be a JSON object"},
      {"{", "request: not valid JSON"},
      {R"({"id":"x"})", "request: /op: missing"},
      {R"({"op":"kill","grace_ms":-1})", "/grace_ms: must be a whole number"},
      {R"({"op":"run","force":"yes"})", "/force: must be true or false"},
      {R"({"op":"batch","count":0})", "/count: must be a whole number from 1"},
      {R"({"op":"run","restart":"often"})", "/restart: invalid restart policy"},
      {R"({"op":"create","console_socket":"c.sock"})", "/console_socket: must be an absolute"},
      {R"({"op":"run","fds":251})", "/fds: must be a whole number"},
      {R"({"op":"run","fds":1,"listen_fds":2})", "/listen_fds: more than fds"},
      {R"({"op":"update","id":"x","resources":"64m"})", "/resources: must be a LinuxResources"},
      {R"({"op":"exec","id":"x","exec":["sh"]})", "/exec: must be an object"},
      {R"({"op":"kill","id":"x","pid":0})", "/pid: must be a whole number from 1"},
      {R"({"op":"pool","bundle":"/b","size":4097})", "/size: must be a whole number from 0"},
  };
  for (auto& c : cases) {
    auto r = parse_request(c.line);
    ASSERT_FALSE(r) << c.line;
    EXPECT_NE(r.error().what().find(c.error), std::string::npos) << r.error().what();
  }
}

// exec's options travel as an object: what the CLI writes the daemon
// reads back, and a wrong field is named.
TEST(Protocol, ExecOptionsRoundTrip) {
  ExecOptions o;
  o.id = "web";
  o.args = {"sh", "-c", "echo \"$X\""};
  o.env = {"X=1"};
  o.caps = {"CAP_NET_RAW"};
  o.cgroups = {"memory:sub"};
  o.cwd = "/tmp";
  o.user = "1000:1000";
  o.additional_gids = {5, 6};
  o.console_socket = "/run/c.sock";
  o.tty = o.no_new_privs = o.ignore_paused = true;
  Request r;
  r.op = "exec";
  r.id = "web";
  r.wait = true;
  r.exec = exec_options_json(o);
  auto back = parse_request(request_json(r));
  ASSERT_TRUE(back) << back.error().what();
  EXPECT_TRUE(back.value().wait);
  auto x = parse_exec_options(back.value().exec, "request: /exec");
  ASSERT_TRUE(x) << x.error().what();
  EXPECT_EQ(x.value().id, "web");
  EXPECT_EQ(x.value().args, o.args);
  EXPECT_EQ(x.value().env, o.env);
  EXPECT_EQ(x.value().caps, o.caps);
  EXPECT_EQ(x.value().cgroups, o.cgroups);
  EXPECT_EQ(x.value().cwd, "/tmp");
  EXPECT_EQ(x.value().user, "1000:1000");
  EXPECT_EQ(x.value().additional_gids, o.additional_gids);
  EXPECT_EQ(x.value().console_socket, "/run/c.sock");
  EXPECT_TRUE(x.value().tty && x.value().no_new_privs && x.value().ignore_paused);
  EXPECT_FALSE(x.value().detach);
  for (auto [text, error] :
       {std::pair{R"({"args":"sh"})", "request: /exec/args: must be an array"},
        {R"({"tty":1})", "request: /exec/tty: must be true or false"},
        {R"({"process":"p.json"})", "must be an absolute path"},
        {R"({"additional_gids":[-1]})", "/additional_gids: must hold group"}}) {
    auto bad = parse_exec_options(text, "request: /exec");
    ASSERT_FALSE(bad) << text;
    EXPECT_NE(bad.error().what().find(error), std::string::npos) << bad.error().what();
  }
}

TEST(Protocol, RepliesAreReadBack) {
  Reply ok = parse_reply(R"({"seq":null,"ok":true,"pid":42,"state":{"a":[1]}})");
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(reply_int(ok.line, "pid"), 42);
  EXPECT_EQ(reply_raw(ok.line, "state"), R"({"a":[1]})");
  Reply bad = parse_reply(R"({"ok":false,"error":"nope"})");
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error, "nope");
  EXPECT_FALSE(parse_reply("garbage").ok);
}

}  // namespace
}  // namespace ringc::cli
