// The client of a ringc daemon (--daemon SOCKET): one connection, requests
// as protocol lines, replies read while the daemon itself is watched.
#pragma once

#include <sys/types.h>

#include <span>
#include <string>

#include "cli/command.h"
#include "core/base/error.h"
#include "core/base/sys.h"
#include "core/supervisor/protocol.h"

namespace ringc::cli {

class Connection {
 public:
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  Result<void> open(const std::string& path);
  int fd() const { return fd_; }
  // A request, with fds (SCM_RIGHTS) on its first bytes if any.
  Result<void> send(const std::string& line, std::span<const int> fds = {});
  // The next line; "" at EOF (or once the daemon has exited, what it sent
  // before is read first).
  Result<std::string> line();

 private:
  // A write the daemon refused by closing: the reason it sent first.
  Error refused(Error e);

  // The daemon itself, watched beside the socket: its end of the
  // connection can outlive it (a file the kernel has not let go of), and
  // a client must not wait on that.
  sys::UniqueFd daemon_;
  pid_t daemon_pid_ = 0;
  int fd_ = -1;
  std::string buf_;
};

// One request (with fds, if any), one reply; an error reply becomes this
// command's error.
Result<Reply> call(Context& ctx, const Request& r, Connection& c, std::span<const int> fds = {});
Result<Reply> call(Context& ctx, const Request& r);

}  // namespace ringc::cli
