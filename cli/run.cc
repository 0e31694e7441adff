#include "cli/args.h"
#include "cli/command.h"
#include "core/verbs/container.h"

namespace ringc::cli {

Result<int> cmd_run(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, create_flags(true), "run"));
  RINGC_TRY(auto id, one_id(a.positional, "run"));
  RINGC_TRY(auto o, create_options(a, id, "run"));
  o.keep = a.has("keep");
  return run(ctx.runtime, o, a.has("detach"));
}

}  // namespace ringc::cli
