#pragma once

#include <string_view>

#include "core/base/error.h"

namespace ringc {

inline constexpr size_t kMaxIdLength = 1024;

// Accepts what runc accepts: [A-Za-z0-9_+.-], not "." or "..", non-empty,
// at most kMaxIdLength bytes. Checked before anything is made.
Result<void> validate_id(std::string_view id);

}  // namespace ringc
