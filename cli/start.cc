#include "cli/client.h"
#include "cli/command.h"
#include "core/verbs/container.h"

namespace ringc::cli {

Result<int> cmd_start(Context& ctx, std::span<const std::string> argv) {
  return with_one_id(argv, "start", start, ctx.runtime);
}

Result<int> remote_start(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "start");
}

}  // namespace ringc::cli
