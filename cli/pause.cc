#include "cli/args.h"
#include "cli/command.h"
#include "core/container.h"

namespace ringc::cli {

Result<int> cmd_pause(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, {}, "pause"));
  RINGC_TRY(auto id, one_id(a.positional, "pause"));
  RINGC_TRY(pause(ctx.runtime, id));
  return 0;
}

Result<int> cmd_resume(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, {}, "resume"));
  RINGC_TRY(auto id, one_id(a.positional, "resume"));
  RINGC_TRY(resume(ctx.runtime, id));
  return 0;
}

}  // namespace ringc::cli
