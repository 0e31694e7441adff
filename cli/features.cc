#include <cstdio>

#include "cli/args.h"
#include "cli/command.h"
#include "core/verbs/features.h"

namespace ringc::cli {

Result<int> cmd_features(Context&, std::span<const std::string> argv) {
  RINGC_TRY(auto a, parse(argv, {}, "features"));
  if (!a.positional.empty()) return ringc_error(Errc::bad_usage, "features: takes no arguments");
  std::fputs(features_json().c_str(), stdout);
  return 0;
}

}  // namespace ringc::cli
