#include "cli/args.h"
#include "cli/command.h"
#include "core/container.h"

namespace ringc::cli {

Result<int> cmd_run(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, create_flags(), "run"));
  RINGC_TRY(auto id, one_id(a.positional, "run"));
  RINGC_TRY(auto o, create_options(a, id, "run"));
  return run(ctx.runtime, o, a.has("detach"));
}

}  // namespace ringc::cli
