#include "cli/args.h"
#include "cli/command.h"
#include "core/container.h"

namespace ringc::cli {

Result<int> cmd_run(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, create_flags(), "run"));
  RINGC_TRY(refuse_unbuilt_flags(a, "run"));
  RINGC_TRY(auto id, one_id(a.positional, "run"));
  CreateOptions o{id, a.get("bundle", "."), a.get("pid-file")};
  return run(ctx.runtime, o, a.has("detach"));
}

}  // namespace ringc::cli
