#include "cli/args.h"
#include "cli/command.h"
#include "core/container.h"

namespace ringc::cli {

Result<int> cmd_create(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv,
                          {{"bundle", "b", true},
                           {"pid-file", "", true},
                           {"console-socket", "", true},
                           {"no-pivot", "", false},
                           {"no-new-keyring", "", false},
                           {"preserve-fds", "", true}},
                          "create"));
  RINGC_TRY(auto id, one_id(a.positional, "create"));
  CreateOptions o{id, a.get("bundle", "."), a.get("pid-file")};
  RINGC_TRY(create(ctx.runtime, o));
  return 0;
}

}  // namespace ringc::cli
