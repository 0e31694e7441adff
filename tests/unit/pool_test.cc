// Which specs may share a warm network namespace (core/pool/netns_pool.h):
// each condition of the rule refuses on its own, with why.
#include <gtest/gtest.h>

#include <string>

#include "core/pool/netns_pool.h"
#include "core/spec/spec.h"

namespace ringc {
namespace {

std::string why(const std::string& json) {
  auto spec = parse_spec(json);
  EXPECT_TRUE(spec) << spec.error().what();
  if (!spec) return "(unparsed)";
  return unpoolable(spec.value()).value_or("");
}

std::string edited(const std::string& from, const std::string& to) {
  std::string s = default_spec_json();
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(NetnsPool, TheDefaultSpecMayShare) {
  EXPECT_EQ(why(default_spec_json()), "");
}

TEST(NetnsPool, EachConditionRefusesOnItsOwn) {
  EXPECT_EQ(why(edited("\"CAP_KILL\",", "\"CAP_KILL\", \"CAP_NET_RAW\",")),
            "it may have CAP_NET_RAW");
  EXPECT_EQ(why(edited("\"CAP_KILL\",", "\"CAP_KILL\", \"CAP_NET_ADMIN\",")),
            "it may have CAP_NET_ADMIN");
  EXPECT_EQ(why(edited("\"CAP_KILL\",", "\"CAP_KILL\", \"CAP_SYS_ADMIN\",")),
            "it may have CAP_SYS_ADMIN");
  EXPECT_EQ(why(edited("\"/proc/sys\",", "")), "/proc/sys is not among /linux/readonlyPaths");
  EXPECT_EQ(why(edited("{\n\t\t\t\t\"type\": \"pid\"\n\t\t\t},", "")),
            "it has no pid namespace of its own (a process of it could outlive its init)");
  EXPECT_EQ(why(edited("{\n\t\t\t\t\"type\": \"network\"\n\t\t\t},", "")),
            "it does not ask for a network namespace of its own");
  EXPECT_EQ(
      why(edited("\"linux\": {", "\"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},")),
      "/linux/sysctl sets net.ipv4.ip_forward");
  EXPECT_EQ(why(edited("\"hostname\": \"ringc\",",
                       "\"hostname\": \"ringc\", \"hooks\": {\"prestart\": [{\"path\": "
                       "\"/bin/true\"}]},")),
            "it has hooks (one may configure the namespace)");
}

}  // namespace
}  // namespace ringc
