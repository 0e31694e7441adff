// The flag table (cli/flags.cc) is the one source of parsing and help:
// every flag it lists parses and is described, and -h is found where
// urfave/cli (runc's parser) would find it.
#include <gtest/gtest.h>

#include "cli/args.h"
#include "cli/flags.h"

using namespace ringc::cli;

TEST(Help, EveryFlagParsesAndIsDescribed) {
  for (auto cmd : documented_commands()) {
    std::string text = help_text(cmd);
    ASSERT_FALSE(text.empty()) << cmd;
    for (auto* set : {&flags_of, &daemon_flags_of}) {
      for (auto& f : (*set)(cmd)) {
        EXPECT_FALSE(f.help.empty()) << cmd << " --" << f.name;
        EXPECT_NE(text.find("--" + std::string(f.name)), std::string::npos) << cmd << " " << f.name;
        std::vector<std::string> argv = {"--" + std::string(f.name)};
        if (f.takes_value) argv.push_back("v");
        auto a = parse(argv, (*set)(cmd), cmd);
        ASSERT_TRUE(a) << cmd << " --" << f.name << ": " << a.error().what();
        EXPECT_TRUE(a.value().has(f.name));
        if (f.alias.empty()) continue;
        argv[0] = "-" + std::string(f.alias);
        a = parse(argv, (*set)(cmd), cmd);
        ASSERT_TRUE(a) << cmd << " -" << f.alias;
        EXPECT_TRUE(a.value().has(f.name));
      }
    }
  }
}

TEST(Help, CreateAndRunHaveTheirOwnSets) {
  auto names = [](std::span<const FlagSpec> s) {
    std::string out;
    for (auto& f : s) out += std::string(f.name) + " ";
    return out;
  };
  EXPECT_EQ(names(flags_of("create")).find("detach"), std::string::npos);
  EXPECT_NE(names(flags_of("run")).find("detach"), std::string::npos);
  EXPECT_EQ(names(flags_of("run")).find("restart"), std::string::npos);
  EXPECT_NE(names(daemon_flags_of("run")).find("restart"), std::string::npos);
  EXPECT_NE(names(daemon_flags_of("create")).find("rm"), std::string::npos);
  EXPECT_EQ(names(daemon_flags_of("create")).find("detach"), std::string::npos);
}

TEST(Help, FoundAmongTheFlagsOnly) {
  auto w = [](std::vector<std::string> argv, const char* cmd) {
    return wants_help(argv, flags_of(cmd));
  };
  EXPECT_TRUE(w({"--help"}, "kill"));
  EXPECT_TRUE(w({"-h"}, "kill"));
  EXPECT_TRUE(w({"-b", "dir", "--help"}, "run"));
  EXPECT_FALSE(w({"--bundle", "--help"}, "run")) << "--help is --bundle's value";
  EXPECT_FALSE(w({"web", "grep", "--help"}, "exec")) << "grep's own flag";
  EXPECT_FALSE(w({"--", "--help"}, "exec"));
  EXPECT_EQ(help_text("no-such-command"), "");
}
