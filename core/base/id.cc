#include "core/base/id.h"

#include <fmt/format.h>

namespace ringc {

Result<void> validate_id(std::string_view id) {
  if (id.empty()) return ringc_error(Errc::bad_id, "invalid container id: empty");
  if (id.size() > kMaxIdLength)
    return ringc_error(Errc::bad_id,
                       fmt::format("invalid container id: longer than {} bytes", kMaxIdLength));
  if (id == "." || id == "..")
    return ringc_error(Errc::bad_id, fmt::format("invalid container id \"{}\"", id));
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.';
    if (!ok)
      return ringc_error(
          Errc::bad_id,
          fmt::format("invalid container id \"{}\": only [A-Za-z0-9_+.-] allowed", id));
  }
  return outcome::success();
}

}  // namespace ringc
