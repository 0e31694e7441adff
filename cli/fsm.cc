#include <cstdio>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/flags.h"
#include "fsm/render.h"

namespace ringc::cli {

Result<int> cmd_fsm(Context&, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, flags_of("fsm"), "fsm"));
  std::string f = a.get("format", "mermaid");
  std::string out;
  if (f == "mermaid")
    out = fsm::render(fsm::Format::mermaid);
  else if (f == "dot")
    out = fsm::render(fsm::Format::dot);
  else if (f == "markdown")
    out = fsm::render_document();
  else
    return ringc_error(Errc::bad_usage,
                       fmt::format("unknown format \"{}\" (mermaid, dot, markdown)", f));
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace ringc::cli
