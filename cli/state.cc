#include <cstdio>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"
#include "core/verbs/container.h"

namespace ringc::cli {

Result<int> cmd_state(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, {}, "state"));
  RINGC_TRY(auto id, one_id(a.positional, "state"));
  RINGC_TRY(auto json, state(ctx.runtime, id));
  std::printf("%s\n", json.c_str());
  return 0;
}

Result<int> remote_state(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "state");
}

}  // namespace ringc::cli
