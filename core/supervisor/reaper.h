// The daemon's reaper: the process `ringc daemon` becomes, with the daemon
// proper as its child.
//
// The inits are the daemon's children, so their exit statuses are the
// daemon's to collect. When the daemon dies (kill -9, a crash) they are
// orphaned, and whoever reaps them learns the status. The reaper is a
// child subreaper above the daemon: it reaps those orphans itself, after
// reading the zombie's start time, and hands each (pid, start time,
// status) to the daemon on a socket; it starts the daemon again after a
// crash and hands the new one the last 65,536 exits again (one that died
// may not have read them). A daemon that adopts the inits thus reports
// every exit code, those that came while it was down included.
//
// It is a plain blocking waitid loop by design: it has nothing else to do,
// holds no container state, and runs no reactor.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "core/engine/reaped_exit.h"

namespace ringc {

struct ReaperRole {
  bool daemon = false;  // this process is the daemon: serve, with reaper_fd
  int reaper_fd = -1;
  int exit_code = 0;  // the reaper, done: the daemon's last exit code
};

// Forks the daemon and reaps until it stops (its exit, or SIGTERM/SIGINT
// forwarded to it). Returns in the daemon with its end of the socket
// (fd 3 upward, close-on-exec), and in the reaper when all is done.
ReaperRole run_reaper();

}  // namespace ringc
