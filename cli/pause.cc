#include "cli/client.h"
#include "cli/command.h"
#include "core/verbs/container.h"

namespace ringc::cli {

Result<int> cmd_pause(Context& ctx, std::span<const std::string> argv) {
  return with_one_id(argv, "pause", pause, ctx.runtime);
}

Result<int> cmd_resume(Context& ctx, std::span<const std::string> argv) {
  return with_one_id(argv, "resume", resume, ctx.runtime);
}

Result<int> remote_pause(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "pause");
}

Result<int> remote_resume(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "resume");
}

}  // namespace ringc::cli
