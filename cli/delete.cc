#include "cli/args.h"
#include "cli/client.h"
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

// delete [--force] ID...: several ids go down one connection, pipelined
// (the daemon works on them together); the first error is reported.
Result<int> remote_delete(Context& ctx, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("delete"), "delete"));
  if (a.positional.empty())
    return ringc_error(Errc::bad_usage,
                       "\"delete\" requires at least 1 argument (the container id)");
  Connection c;
  RINGC_TRY(c.open(ctx.daemon));
  std::string batch;
  for (auto& id : a.positional) {
    Request r;
    r.op = "delete";
    r.id = id;
    r.force = a.has("force");
    batch += request_json(r);
  }
  RINGC_TRY(c.send(batch));
  std::optional<std::string> first_error;
  for (size_t i = 0; i < a.positional.size(); ++i) {
    RINGC_TRY(auto line, c.line());
    if (line.empty()) return ringc_error(Errc::init_failed, "the daemon closed the connection");
    Reply reply = parse_reply(line);
    if (!reply.ok && !first_error) first_error = reply.error;
    if (auto w = reply_string(reply.line, "warning")) ctx.runtime.warn(*w);  // poststop, as runc's
  }
  if (first_error) return ringc_error(Errc::init_failed, *first_error);
  return 0;
}

}  // namespace ringc::cli
