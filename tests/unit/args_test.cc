#include <gtest/gtest.h>

#include "cli/args.h"

using namespace ringc;
using namespace ringc::cli;

namespace {
Result<Args> p(std::vector<std::string> v) {
  return parse(v, {{"bundle", "b", true}, {"detach", "d", false}, {"pid-file", "", true}}, "run");
}
}  // namespace

TEST(Args, Forms) {
  for (auto v : std::vector<std::vector<std::string>>{{"--bundle", "/x", "id"},
                                                      {"--bundle=/x", "id"},
                                                      {"-b", "/x", "id"},
                                                      {"-bundle", "/x", "id"},
                                                      {"id", "-b", "/x"}}) {
    auto a = p(v);
    ASSERT_TRUE(a) << a.error().what();
    EXPECT_EQ(a.value().get("bundle"), "/x");
    EXPECT_EQ(a.value().positional, std::vector<std::string>{"id"});
  }
}

TEST(Args, BoolFlag) {
  auto a = p({"-d", "id"});
  ASSERT_TRUE(a);
  EXPECT_TRUE(a.value().has("detach"));
  EXPECT_FALSE(a.value().has("bundle"));
  EXPECT_EQ(a.value().get("bundle", "."), ".");
}

TEST(Args, Errors) {
  EXPECT_EQ(p({"--nope"}).error().what(), "run: flag provided but not defined: -nope");
  EXPECT_EQ(p({"--bundle"}).error().what(), "run: flag needs an argument: -bundle");
}

TEST(Args, DoubleDashEndsFlags) {
  auto a = p({"--", "-b"});
  ASSERT_TRUE(a);
  EXPECT_EQ(a.value().positional, std::vector<std::string>{"-b"});
}
