// Command-line flags as runc (urfave/cli) takes them: --name value,
// --name=value, -n value, and single-dash long names (-bundle).
#pragma once

#include <initializer_list>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/error.h"

namespace ringc::cli {

struct FlagSpec {
  std::string_view name;   // long name, without dashes
  std::string_view alias;  // short name, or ""
  bool takes_value;
  std::string_view help = {};  // one line, for -h
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>, std::less<>> values;  // by long name

  bool has(std::string_view name) const { return values.find(name) != values.end(); }
  std::string get(std::string_view name, std::string fallback = {}) const;
  // A whole number of at least `min` (fallback when the flag is absent).
  Result<uint64_t> number(std::string_view flag, uint64_t fallback, uint64_t min) const;
};

// Parses args after the command name. Unknown flags are a usage error
// naming the flag. "--" ends flag parsing.
Result<Args> parse(std::span<const std::string> argv, std::span<const FlagSpec> spec,
                   std::string_view command);
inline Result<Args> parse(std::span<const std::string> argv, std::initializer_list<FlagSpec> spec,
                          std::string_view command) {
  return parse(argv, std::span<const FlagSpec>(spec.begin(), spec.size()), command);
}

}  // namespace ringc::cli
