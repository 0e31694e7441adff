// Runs a host command (through /bin/sh) and returns what it printed; the
// output is read and the exit awaited through the ring. For `ps`.
#pragma once

#include <string>

#include "core/base/error.h"
#include "core/engine/runtime.h"

namespace ringc {

Result<std::string> run_capture(Runtime& rt, const std::string& shell_command);

}  // namespace ringc
