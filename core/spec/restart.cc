#include "core/spec/restart.h"

#include <charconv>

#include <fmt/format.h>

namespace ringc {

Result<RestartPolicy> parse_restart(std::string_view text) {
  RestartPolicy p;
  if (text == "no" || text.empty()) return p;
  if (text == "always") return RestartPolicy{RestartKind::always, 0};
  if (text == "unless-stopped") return RestartPolicy{RestartKind::unless_stopped, 0};
  if (text.starts_with("on-failure")) {
    std::string_view rest = text.substr(10);
    p.kind = RestartKind::on_failure;
    if (rest.empty()) return p;
    if (rest[0] == ':') {
      rest.remove_prefix(1);
      auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), p.max);
      if (ec == std::errc() && end == rest.data() + rest.size() && !rest.empty() && p.max >= 0)
        return p;
    }
  }
  return ringc_error(Errc::bad_usage,
                     fmt::format("invalid restart policy \"{}\" (want no, on-failure[:max], "
                                 "always or unless-stopped)",
                                 text));
}

std::string to_string(const RestartPolicy& p) {
  switch (p.kind) {
    case RestartKind::no:
      return "no";
    case RestartKind::always:
      return "always";
    case RestartKind::unless_stopped:
      return "unless-stopped";
    case RestartKind::on_failure:
      return p.max ? fmt::format("on-failure:{}", p.max) : "on-failure";
  }
  return "no";
}

std::optional<std::chrono::milliseconds> restart_delay(const RestartPolicy& p, int exit_code,
                                                       int restarts, bool stopped_by_request) {
  if (stopped_by_request || p.kind == RestartKind::no) return std::nullopt;
  if (p.kind == RestartKind::on_failure) {
    if (exit_code == 0) return std::nullopt;
    if (p.max > 0 && restarts >= p.max) return std::nullopt;
  }
  auto d = kRestartFirst;
  for (int i = 0; i < restarts && d < kRestartCeiling; ++i) d *= 2;
  return std::min(d, kRestartCeiling);
}

}  // namespace ringc
