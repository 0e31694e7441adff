// The client of a ringc daemon (--daemon SOCKET): one connection, requests
// as protocol lines, replies read while the daemon itself is watched.
#pragma once

#include <sys/types.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

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
  // What was read past the last line returned: the start of the next.
  std::string take_buffered() { return std::move(buf_); }

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

// A verb whose request is its op and one id (start, state, wait, pause,
// resume): sent, and its reply printed as the verb without a daemon does.
Result<int> remote_simple(Context& ctx, std::span<const std::string> argv, const char* op);
// The CLI's own code for a verb (exec, ps, events --stats) run against the
// daemon's state root (asked with `info`), as runc runs them against its
// --root. The daemon keeps supervising the container meanwhile.
Result<int> on_daemon_root(Context& ctx, std::span<const std::string> argv, Handler local);
// create and run through a daemon (cli/run.cc).
Result<int> remote_launch(Context& ctx, std::span<const std::string> argv, bool run);

// A listening socket in a directory of its own, for a foreground
// terminal through a daemon: the daemon's init (or exec'd process) sends
// the pty master there.
class ConsoleListener {
 public:
  ConsoleListener() = default;
  ConsoleListener(const ConsoleListener&) = delete;
  ConsoleListener& operator=(const ConsoleListener&) = delete;
  ~ConsoleListener();
  Result<void> open();
  std::string path() const { return dir_ + "/console.sock"; }
  // The master, once the process has sent it (the daemon connected before
  // it cloned the process, and the process sent it before it said so).
  Result<sys::UniqueFd> master();

 private:
  std::string dir_;
  sys::UniqueFd fd_;
};

// A path the client gave, made absolute against its own directory: the
// daemon resolves nothing relative to the client's.
std::string absolute_path(std::string path);
// runc's two-space layout of a one-line JSON object (for `state`).
std::string indent(std::string_view json);
// What a create, run or batch hands the daemon with the request, as runc's
// init inherits them from runc: the client's stdin, stdout and stderr
// (unless a pty takes their place; a closed one becomes /dev/null), then
// LISTEN_FDS's (unless `listen` is false: a batch) and --preserve-fds's
// fds from 3.
struct Handover {
  std::vector<int> fds;
  sys::UniqueFd null;
};
Result<Handover> handover(Request& r, unsigned preserve, bool terminal, bool listen = true);

}  // namespace ringc::cli
