// Every command's flags with their one-line help, in one table
// (cli/flags.cc): what parse() accepts and what -h prints come from it.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/args.h"

namespace ringc::cli {

// A command's flags ("ringc": the global ones); create and run without
// their --daemon forms' flags, which daemon_flags_of adds.
std::span<const FlagSpec> flags_of(std::string_view command);
std::span<const FlagSpec> daemon_flags_of(std::string_view command);
// `ringc COMMAND --help`: usage, the summary and every flag; "" for an
// unknown command.
std::string help_text(std::string_view command);
// Every command the table describes ("ringc" first), for the help tests.
std::vector<std::string_view> documented_commands();
// Whether -h/--help comes among the flags (before the first argument).
bool wants_help(std::span<const std::string> argv, std::span<const FlagSpec> flags);

}  // namespace ringc::cli
