// `ringc features` must say only what ringc does: each listed name is
// accepted by the parsers that config.json goes through.
#include <gtest/gtest.h>

#include "core/init/rootfs.h"
#include "core/spec/json.h"
#include "core/spec/spec.h"
#include "core/verbs/features.h"

using namespace ringc;

namespace {
// The value at a JSON pointer of plain keys ("/linux/capabilities").
json::Value at(json::Value v, std::string_view pointer) {
  while (!pointer.empty()) {
    pointer.remove_prefix(1);
    size_t end = pointer.find('/');
    v = v[pointer.substr(0, end)];
    pointer = end == std::string_view::npos ? "" : pointer.substr(end);
  }
  return v;
}

std::vector<std::string> strings(json::Value doc, std::string_view pointer) {
  std::vector<std::string> out;
  json::Array a;
  EXPECT_TRUE(at(doc, pointer).get(a)) << pointer;
  for (json::Value e : a) {
    std::string_view s;
    EXPECT_TRUE(e.get(s));
    out.emplace_back(s);
  }
  return out;
}

std::string with(const std::string& from, const std::string& to) {
  std::string s = default_spec_json();
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos);
  s.replace(at, from.size(), to);
  return s;
}
}  // namespace

TEST(Features, EveryListedNameIsAccepted) {
  std::string json = features_json();
  json::Document parsed;
  ASSERT_TRUE(parsed.parse(json)) << json;
  json::Value doc = parsed.root();
  EXPECT_EQ(strings(doc, "/hooks").size(), 6u);
  for (auto& cap : strings(doc, "/linux/capabilities")) EXPECT_GE(capability_number(cap), 0) << cap;
  for (auto& opt : strings(doc, "/mountOptions")) {
    auto known = mount_option_names();
    EXPECT_NE(std::find(known.begin(), known.end(), opt), known.end()) << opt;
  }
  // Each as a rule's action (SCMP_ACT_NOTIFY cannot be the default).
  for (auto& act : strings(doc, "/linux/seccomp/actions")) {
    auto r = parse_spec(with("\"linux\": {",
                             "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", "
                             "\"listenerPath\": \"/run/agent.sock\", \"syscalls\": [{\"names\": "
                             "[\"kill\"], \"action\": \"" +
                                 act + "\"}]},"));
    EXPECT_TRUE(r) << act << ": " << r.error().what();
  }
  for (auto& op : strings(doc, "/linux/seccomp/operators")) {
    auto r = parse_spec(with("\"linux\": {",
                             "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", "
                             "\"syscalls\": [{\"names\": [\"kill\"], \"action\": "
                             "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
                             "\"" +
                                 op + "\"}]}]},"));
    EXPECT_TRUE(r) << op << ": " << r.error().what();
  }
  for (auto& arch : strings(doc, "/linux/seccomp/archs")) {
    auto r = parse_spec(with("\"linux\": {",
                             "\"linux\": {\"seccomp\": {\"defaultAction\": "
                             "\"SCMP_ACT_ALLOW\", \"architectures\": [\"" +
                                 arch + "\"]},"));
    EXPECT_TRUE(r) << arch << ": " << r.error().what();
  }
  for (auto& flag : strings(doc, "/linux/seccomp/supportedFlags")) {
    auto r = parse_spec(with("\"linux\": {",
                             "\"linux\": {\"seccomp\": {\"defaultAction\": "
                             "\"SCMP_ACT_ALLOW\", \"flags\": [\"" +
                                 flag + "\"]},"));
    EXPECT_TRUE(r) << flag << ": " << r.error().what();
  }
  std::string_view min, max;
  ASSERT_TRUE(at(doc, "/ociVersionMin").get(min));
  ASSERT_TRUE(at(doc, "/ociVersionMax").get(max));
  EXPECT_EQ(min, kOciVersionMin);
  EXPECT_EQ(max, kOciVersionMax);
}
