// Restart policies: parsing, and the delay each exit leads to (the timing
// logic the engine arms its ring timers with).
#include <gtest/gtest.h>

#include "core/spec/restart.h"

namespace ringc {
namespace {
using std::chrono::milliseconds;

TEST(Restart, ParsesDockersWords) {
  EXPECT_EQ(parse_restart("no").value().kind, RestartKind::no);
  EXPECT_EQ(parse_restart("always").value().kind, RestartKind::always);
  EXPECT_EQ(parse_restart("unless-stopped").value().kind, RestartKind::unless_stopped);
  auto p = parse_restart("on-failure:5").value();
  EXPECT_EQ(p.kind, RestartKind::on_failure);
  EXPECT_EQ(p.max, 5);
  EXPECT_EQ(parse_restart("on-failure").value().max, 0);
  for (const char* bad :
       {"sometimes", "on-failure:", "on-failure:x", "on-failure:-1", "always:3"}) {
    auto r = parse_restart(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().what().find("invalid restart policy"), std::string::npos);
  }
  EXPECT_EQ(to_string(parse_restart("on-failure:5").value()), "on-failure:5");
}

TEST(Restart, BackoffDoublesUpToTheCeiling) {
  RestartPolicy always{RestartKind::always, 0};
  EXPECT_EQ(restart_delay(always, 0, 0, false), milliseconds(100));
  EXPECT_EQ(restart_delay(always, 0, 1, false), milliseconds(200));
  EXPECT_EQ(restart_delay(always, 1, 3, false), milliseconds(800));
  EXPECT_EQ(restart_delay(always, 1, 40, false), kRestartCeiling);
}

TEST(Restart, OnFailureStopsAtSuccessAndAtItsLimit) {
  RestartPolicy p{RestartKind::on_failure, 2};
  EXPECT_EQ(restart_delay(p, 0, 0, false), std::nullopt);  // exit 0: done
  EXPECT_EQ(restart_delay(p, 3, 0, false), milliseconds(100));
  EXPECT_EQ(restart_delay(p, 3, 1, false), milliseconds(200));
  EXPECT_EQ(restart_delay(p, 3, 2, false), std::nullopt);  // limit reached
  EXPECT_EQ(restart_delay({RestartKind::on_failure, 0}, 137, 99, false), kRestartCeiling);
}

TEST(Restart, NoPolicyRestartsWhatAUserStopped) {
  for (auto k : {RestartKind::always, RestartKind::unless_stopped, RestartKind::on_failure})
    EXPECT_EQ(restart_delay({k, 0}, 137, 0, true), std::nullopt);
  EXPECT_EQ(restart_delay({RestartKind::no, 0}, 1, 0, false), std::nullopt);
}

}  // namespace
}  // namespace ringc
