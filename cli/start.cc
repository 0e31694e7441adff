#include "cli/args.h"
#include "cli/command.h"
#include "core/container.h"

namespace ringc::cli {

Result<int> cmd_start(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, {}, "start"));
  RINGC_TRY(auto id, one_id(a.positional, "start"));
  RINGC_TRY(start(ctx.runtime, id));
  return 0;
}

}  // namespace ringc::cli
