// Typed reads from a JSON document that name the field's JSON pointer in
// every error. Used by the config.json parsers.
#pragma once

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/error.h"
#include "core/spec/json.h"

namespace ringc::spec_detail {

using array = json::Array;
using element = json::Value;
using object = json::Object;

class Reader {
 public:
  explicit Reader(std::string_view file) : file_(file) {}

  Error fail(std::string_view ptr, std::string_view why) const {
    return ringc_error(Errc::bad_spec, fmt::format("{}: {}: {}", file_, ptr, why));
  }

  // Field lookup: nullopt when absent (or null).
  static std::optional<element> field(object o, std::string_view key) {
    element e = o[key];
    if (e.is_null()) return std::nullopt;
    return e;
  }

  Result<object> obj(element e, std::string_view ptr) const {
    object o;
    if (!e.get(o)) return fail(ptr, "must be an object");
    return o;
  }
  Result<array> arr(element e, std::string_view ptr) const {
    array a;
    if (!e.get(a)) return fail(ptr, "must be an array");
    return a;
  }
  Result<std::string> str(element e, std::string_view ptr) const {
    std::string_view s;
    if (!e.get(s)) return fail(ptr, "must be a string");
    return std::string(s);
  }
  Result<bool> boolean(element e, std::string_view ptr) const {
    bool b;
    if (!e.get(b)) return fail(ptr, "must be a boolean");
    return b;
  }
  Result<int64_t> integer(element e, std::string_view ptr, int64_t lo, int64_t hi) const {
    int64_t v;
    if (uint64_t u; e.get(u)) {
      if (u > uint64_t(hi) || (lo > 0 && u < uint64_t(lo)))
        return fail(ptr, fmt::format("must be between {} and {}", lo, hi));
      return int64_t(u);
    }
    if (!e.get(v)) return fail(ptr, "must be an integer");
    if (v < lo || v > hi) return fail(ptr, fmt::format("must be between {} and {}", lo, hi));
    return v;
  }
  Result<uint64_t> u64(element e, std::string_view ptr) const {
    uint64_t v;
    if (!e.get(v)) return fail(ptr, "must be a non-negative integer");
    return v;
  }
  // An object whose values are all strings ("annotations", "sysctl").
  Result<std::vector<std::pair<std::string, std::string>>> string_map(element e,
                                                                      std::string_view ptr) const {
    RINGC_TRY(auto o, obj(e, ptr));
    std::vector<std::pair<std::string, std::string>> out;
    for (auto [k, v] : o) {
      RINGC_TRY(auto val, str(v, fmt::format("{}/{}", ptr, k)));
      out.emplace_back(std::string(k), std::move(val));
    }
    return out;
  }
  Result<std::vector<std::string>> strings(element e, std::string_view ptr) const {
    RINGC_TRY(auto a, arr(e, ptr));
    std::vector<std::string> out;
    for (element x : a) {
      std::string_view s;
      if (!x.get(s)) return fail(ptr, "must be an array of strings");
      out.emplace_back(s);
    }
    return out;
  }

 private:
  std::string_view file_;
};

}  // namespace ringc::spec_detail
