// The verbs only a daemon answers: wait (an exit code the daemon keeps)
// and stats (its own figures).
#include <cstdio>

#include "cli/args.h"
#include "cli/client.h"
#include "cli/command.h"

namespace ringc::cli {

Result<int> remote_wait(Context& ctx, std::span<const std::string> argv) {
  return remote_simple(ctx, argv, "wait");
}

Result<int> remote_stats(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(parse(argv, {}, "stats"));
  Request r;
  r.op = "stats";
  RINGC_TRY(auto reply, call(ctx, r));
  std::fputs((reply.line + "\n").c_str(), stdout);
  return 0;
}

}  // namespace ringc::cli
