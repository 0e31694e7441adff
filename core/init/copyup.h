// runc's `tmpcopyup` mount option: a tmpfs that starts as a copy of the
// directory it covers, so that podman's --read-only keeps the image's
// /run, /tmp and /var/tmp contents on writable memory.
#pragma once

#include <string>

#include "core/base/error.h"

namespace ringc {

// Copies everything under the directory `from` into the directory `to`
// (both fds of real, readable directories): directories, regular files,
// symlinks, fifos and device nodes, with their owners, modes and times;
// `to` itself takes the mode and owner of `from` unless keep_root_mode.
// `what` names the mount in errors.
Result<void> copy_tree(int from, int to, bool keep_root_mode, const std::string& what);

}  // namespace ringc
