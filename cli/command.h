// The command table: one entry and one file per verb (crun's layout).
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "cli/log.h"
#include "core/base/error.h"
#include "core/engine/runtime.h"

namespace ringc {
struct BatchReport;
struct BatchOptions;
struct ListEntry;
struct CreateOptions;
}  // namespace ringc

namespace ringc::cli {

struct Context {
  Runtime& runtime;
  LogConfig log;
  bool systemd_cgroup = false;
  std::string daemon;  // --daemon: the socket of a ringc daemon
};

// Returns the process exit code; an error prints one line and exits 1.
using Handler = Result<int> (*)(Context& ctx, std::span<const std::string> args);

// Its summary, usage and flags are in cli/flags.cc's table. `remote` is
// its --daemon form (in the verb's own file), nullptr where it has none.
struct Command {
  std::string_view name;
  Handler run;
  Handler remote = nullptr;
};

std::span<const Command> commands();

Result<int> cmd_spec(Context&, std::span<const std::string>);
Result<int> cmd_create(Context&, std::span<const std::string>);
Result<int> cmd_start(Context&, std::span<const std::string>);
Result<int> cmd_features(Context&, std::span<const std::string>);
Result<int> cmd_exec(Context&, std::span<const std::string>);
Result<int> cmd_bench(Context&, std::span<const std::string>);
Result<int> cmd_run(Context&, std::span<const std::string>);
Result<int> cmd_state(Context&, std::span<const std::string>);
Result<int> cmd_kill(Context&, std::span<const std::string>);
Result<int> cmd_delete(Context&, std::span<const std::string>);
Result<int> cmd_list(Context&, std::span<const std::string>);
Result<int> cmd_fsm(Context&, std::span<const std::string>);
Result<int> cmd_pause(Context&, std::span<const std::string>);
Result<int> cmd_resume(Context&, std::span<const std::string>);
Result<int> cmd_ps(Context&, std::span<const std::string>);
Result<int> cmd_update(Context&, std::span<const std::string>);
Result<int> cmd_events(Context&, std::span<const std::string>);
Result<int> cmd_batch(Context&, std::span<const std::string>);
Result<int> cmd_daemon(Context&, std::span<const std::string>);

// The same verbs sent to a daemon (global --daemon PATH).
Result<int> remote_create(Context&, std::span<const std::string>);
Result<int> remote_run(Context&, std::span<const std::string>);
Result<int> remote_start(Context&, std::span<const std::string>);
Result<int> remote_state(Context&, std::span<const std::string>);
Result<int> remote_kill(Context&, std::span<const std::string>);
Result<int> remote_delete(Context&, std::span<const std::string>);
Result<int> remote_list(Context&, std::span<const std::string>);
Result<int> remote_events(Context&, std::span<const std::string>);
Result<int> remote_batch(Context&, std::span<const std::string>);
Result<int> remote_pause(Context&, std::span<const std::string>);
Result<int> remote_resume(Context&, std::span<const std::string>);
Result<int> remote_exec(Context&, std::span<const std::string>);
Result<int> remote_ps(Context&, std::span<const std::string>);
Result<int> remote_wait(Context&, std::span<const std::string>);
Result<int> remote_stats(Context&, std::span<const std::string>);

struct Args;
struct FlagSpec;

// batch's report as JSON and as a summary; its flags and the options they
// make (shared by the local and the --daemon form).
std::string batch_summary(const BatchReport& r, bool keep);
BatchReport parse_batch_report(std::string_view json);
std::span<const FlagSpec> batch_flags();
Result<BatchOptions> batch_options(const Args& a);
// runc's list table.
std::string list_table(const std::vector<ListEntry>& entries);
// create's flags, or run's (create's plus --detach, --keep, --no-subreaper).
std::span<const FlagSpec> create_flags(bool run);
// Which of fds 3.. the caller handed ringc, noted before ringc opens any
// of its own, so --preserve-fds never passes one of ringc's to a container.
void note_inherited_fds();
bool fd_inherited(int fd);

// create/run flags into options for the container `id`.
Result<CreateOptions> create_options(const Args& a, std::string id, std::string_view command);

// For verbs that take one container id and no flags: parse, then f(id).
Result<int> with_one_id(std::span<const std::string> argv, std::string_view command,
                        Result<void> (*f)(Runtime&, std::string_view), Runtime& rt);

// The one container id a command takes, or a usage error.
Result<std::string> one_id(const std::vector<std::string>& positional, std::string_view command);

}  // namespace ringc::cli
