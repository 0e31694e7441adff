// Restart policies (docker's words): whether and when a container that
// exited is started again. Pure functions: the engine arms a ring timer
// with the delay they return.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/error.h"

namespace ringc {

enum class RestartKind : uint8_t { no, on_failure, always, unless_stopped };

struct RestartPolicy {
  RestartKind kind = RestartKind::no;
  int max = 0;  // on-failure:N; 0 is no limit
};

// "no", "on-failure", "on-failure:5", "always", "unless-stopped".
Result<RestartPolicy> parse_restart(std::string_view text);
std::string to_string(const RestartPolicy& p);

// First delay and ceiling of the exponential backoff (docker's: 100 ms,
// doubling, at most one minute).
inline constexpr std::chrono::milliseconds kRestartFirst{100};
inline constexpr std::chrono::milliseconds kRestartCeiling{60'000};

// The delay before the next start of a container that exited with
// exit_code after `restarts` restarts, or nothing: it stays stopped.
// `stopped_by_request` is a kill/stop/delete from a user: no policy
// restarts those.
std::optional<std::chrono::milliseconds> restart_delay(const RestartPolicy& p, int exit_code,
                                                       int restarts, bool stopped_by_request);

}  // namespace ringc
