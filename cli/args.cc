#include "cli/args.h"

#include <charconv>

#include <fmt/format.h>

namespace ringc::cli {

std::string Args::get(std::string_view name, std::string fallback) const {
  auto it = values.find(name);
  return it == values.end() || it->second.empty() ? fallback : it->second.back();
}

Result<uint64_t> Args::number(std::string_view flag, uint64_t fallback, uint64_t min) const {
  if (!has(flag)) return fallback;
  std::string v = get(flag);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || n < min)
    return ringc_error(
        Errc::bad_usage,
        fmt::format("--{}: want a whole number of at least {}, got \"{}\"", flag, min, v));
  return n;
}

Result<Args> parse(std::span<const std::string> argv, std::span<const FlagSpec> spec,
                   std::string_view command) {
  Args out;
  bool flags_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (flags_done || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    std::string_view body = std::string_view(a).substr(a[1] == '-' ? 2 : 1);
    std::string_view name = body, value;
    bool inline_value = false;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      inline_value = true;
    }
    const FlagSpec* f = nullptr;
    for (auto& s : spec)
      if (s.name == name || (!s.alias.empty() && s.alias == name)) f = &s;
    if (!f)
      return ringc_error(Errc::bad_usage,
                         fmt::format("{}: flag provided but not defined: -{}", command, name));
    auto& slot = out.values[std::string(f->name)];
    if (!f->takes_value) {
      slot.push_back(inline_value ? std::string(value) : "true");
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argv.size())
        return ringc_error(Errc::bad_usage,
                           fmt::format("{}: flag needs an argument: -{}", command, name));
      value = argv[++i];
    }
    slot.emplace_back(value);
  }
  return out;
}

}  // namespace ringc::cli
