// `ringc features`: the runtime-spec features document (features.md),
// true to what this ringc implements.
#pragma once

#include <string>

namespace ringc {

// The OCI versions ringc accepts in config.json.
inline constexpr const char* kOciVersionMin = "1.0.0";
inline constexpr const char* kOciVersionMax = "1.3.0";

std::string features_json();

}  // namespace ringc
