#include <gtest/gtest.h>

#include "core/base/id.h"
#include "core/verbs/container.h"

using namespace ringc;

TEST(Id, Accepts) {
  for (std::string id : {std::string("a"), std::string("web-1"), std::string("A_b.c+d"),
                         std::string(kMaxIdLength, 'x')})
    EXPECT_TRUE(validate_id(id)) << id;
}

TEST(Id, Rejects) {
  for (auto id : {"", ".", "..", "a/b", "../x", "a b", "é", "a\nb"}) {
    auto r = validate_id(id);
    ASSERT_FALSE(r) << id;
    EXPECT_TRUE(r.error().is(Errc::bad_id));
  }
  EXPECT_FALSE(validate_id(std::string(kMaxIdLength + 1, 'x')));
  EXPECT_EQ(validate_id("").error().what(), "invalid container id: empty");
  EXPECT_EQ(validate_id("a/b").error().what(),
            "invalid container id \"a/b\": only [A-Za-z0-9_+.-] allowed");
}

TEST(Signals, NamesAndNumbers) {
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGKILL"), SIGKILL);
  EXPECT_EQ(parse_signal("9"), 9);
  EXPECT_EQ(parse_signal("USR1"), SIGUSR1);
  EXPECT_EQ(parse_signal("RTMIN+2"), SIGRTMIN + 2);
  EXPECT_EQ(parse_signal("NOPE"), -1);
  EXPECT_EQ(parse_signal("0"), 0);  // runc's liveness probe: `kill ID 0`
  EXPECT_EQ(parse_signal("999"), -1);
  EXPECT_EQ(parse_signal(""), -1);
}

TEST(Transition, ErrorTextNamesVerbIdAndState) {
  auto r = transition("web", fsm::State::running, fsm::Event::start);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().is(Errc::invalid_transition));
  EXPECT_EQ(r.error().what(), "cannot start container \"web\" in state running");
  EXPECT_EQ(transition("x", fsm::State::running, fsm::Event::remove).error().what(),
            "cannot delete container \"x\" in state running");
  EXPECT_TRUE(transition("x", fsm::State::created, fsm::Event::start));
}
