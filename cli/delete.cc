#include "cli/args.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "core/verbs/container.h"

namespace ringc::cli {

Result<int> cmd_delete(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("delete"), "delete"));
  RINGC_TRY(auto id, one_id(a.positional, "delete"));
  RINGC_TRY(remove(ctx.runtime, id, a.has("force")));
  return 0;
}

}  // namespace ringc::cli
