// core/json: the view the config and protocol readers use over the parsed
// document: types checked on every read, integers only where they fit,
// members in document order, and parse errors that say where.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/spec/json.h"

using namespace ringc;

TEST(Json, ReadsEachTypeOnlyAsItself) {
  json::Document doc;
  ASSERT_TRUE(doc.parse(R"({"s": "x", "b": true, "n": -3, "u": 7, "f": 1.5, "z": null})"));
  json::Value root = doc.root();
  std::string_view s;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  EXPECT_TRUE(root["s"].get(s));
  EXPECT_EQ(s, "x");
  EXPECT_FALSE(root["s"].get(b));
  EXPECT_TRUE(root["b"].get(b));
  EXPECT_TRUE(b);
  EXPECT_FALSE(root["b"].get(i));
  EXPECT_TRUE(root["n"].get(i));
  EXPECT_EQ(i, -3);
  EXPECT_FALSE(root["n"].get(u));  // negative: no uint64_t
  EXPECT_TRUE(root["u"].get(u));
  EXPECT_EQ(u, 7u);
  EXPECT_TRUE(root["u"].is_uint64());
  EXPECT_FALSE(root["f"].get(i));  // not an integer
  EXPECT_TRUE(root["f"].get(d));
  EXPECT_EQ(d, 1.5);
  EXPECT_TRUE(root["n"].get(d));  // double takes any number
  EXPECT_TRUE(root["z"].is_null());
  EXPECT_FALSE(root["z"].absent());
  EXPECT_TRUE(root["missing"].absent());
  EXPECT_TRUE(root["missing"].is_null());
  EXPECT_FALSE(root["missing"].get(s));
  EXPECT_TRUE(root["s"]["deeper"].absent());  // not an object
}

TEST(Json, IntegersOnlyWhereTheyFit) {
  json::Document doc;
  ASSERT_TRUE(doc.parse(R"({"big": 18446744073709551615, "over": 18446744073709551616})"));
  int64_t i = 0;
  uint64_t u = 0;
  EXPECT_FALSE(doc.root()["big"].get(i));
  EXPECT_TRUE(doc.root()["big"].get(u));
  EXPECT_EQ(u, UINT64_MAX);
  EXPECT_FALSE(doc.root()["over"].get(u));  // read as a float
}

TEST(Json, MembersAndElementsInDocumentOrder) {
  json::Document doc;
  ASSERT_TRUE(doc.parse(R"({"z": 1, "a": 2, "m": [3, "x", {"k": 4}]})"));
  json::Object o;
  ASSERT_TRUE(doc.root().get(o));
  std::vector<std::string> keys;
  for (auto [k, v] : o) keys.emplace_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"z", "a", "m"}));
  json::Array a;
  ASSERT_TRUE(o["m"].get(a));
  ASSERT_EQ(a.size(), 3u);
  int64_t k = 0;
  EXPECT_TRUE(a.at(2)["k"].get(k));
  EXPECT_EQ(k, 4);
  EXPECT_EQ(o["m"].dump(), R"([3,"x",{"k":4}])");
  EXPECT_EQ(json::Value().dump(), "null");
}

TEST(Json, MalformedTextSaysWhere) {
  for (const char* bad : {"{\"a\": }", "{\"a\": 1} trailing", "[1, 2", "", "1e999", "\"\xff\""}) {
    json::Document doc;
    std::string why;
    EXPECT_FALSE(doc.parse(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
    EXPECT_TRUE(doc.root().is_null()) << bad;
  }
  json::Document doc;
  std::string why;
  ASSERT_FALSE(doc.parse("{\n  \"a\": x\n}", &why));
  EXPECT_NE(why.find("line 2, column"), std::string::npos) << why;
}

// A number JSON can write but no machine type holds is named, not the
// library's exception text.
TEST(Json, OverflowIsNamed) {
  ringc::json::Document d;
  std::string why;
  EXPECT_FALSE(d.parse("{\"a\": 1e999}", &why));
  EXPECT_EQ(why, "the number '1e999' is out of range");
}

// The library quotes the whole last token: a 60 KB string does not come
// back in the message.
TEST(Json, ALongTokenIsCutInTheMessage) {
  ringc::json::Document d;
  std::string why;
  EXPECT_FALSE(d.parse("{\"id\": \"" + std::string(60000, 'x'), &why));
  EXPECT_LE(why.size(), 203u);
  EXPECT_TRUE(why.starts_with("line 1, column ")) << why;
  EXPECT_TRUE(why.ends_with("...")) << why;
}
