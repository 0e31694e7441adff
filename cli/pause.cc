#include "cli/command.h"
#include "core/verbs/container.h"

namespace ringc::cli {

Result<int> cmd_pause(Context& ctx, std::span<const std::string> argv) {
  return with_one_id(argv, "pause", pause, ctx.runtime);
}

Result<int> cmd_resume(Context& ctx, std::span<const std::string> argv) {
  return with_one_id(argv, "resume", resume, ctx.runtime);
}

}  // namespace ringc::cli
