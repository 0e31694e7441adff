// The daemon protocol (docs/protocol.md): one JSON object per line each
// way. A request names an op; its reply echoes the request's "seq" and
// says "ok". subscribe turns the connection into a stream of events.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/error.h"
#include "core/spec/restart.h"

namespace ringc {

struct Request {
  std::string op;
  std::string seq = "null";  // echoed verbatim (JSON text)
  std::string id, bundle, prefix = "batch";
  std::string signal = "TERM";
  std::optional<int64_t> grace_ms;
  bool force = false, all = false, keep = false, rm = false;
  bool wait = false;  // run: reply at the exit, with its code; exec: again at the exit
  uint64_t count = 0, parallel = 1;
  std::optional<uint64_t> size;  // pool: how many inits of the bundle to keep parked
  RestartPolicy restart;
  std::string console_socket, pidfd_socket;  // create, run: absolute
  bool no_pivot = false, no_new_keyring = false;
  // create, run: fds sent with the request (SCM_RIGHTS): with stdio the
  // client's stdin, stdout and stderr, then `fds` more for fds 3.. of the
  // program, the first listen_fds of them for LISTEN_FDS.
  bool stdio = false;
  uint64_t fds = 0, listen_fds = 0;
  // update: a LinuxResources object (JSON text), as `update -r` reads it.
  std::string resources;
  // exec: the process's options (JSON text, core/verbs/exec.h's form); its
  // fds come as create's do. With wait, a second reply at its exit.
  std::string exec;
  // kill: a process exec'd through this daemon, in place of the init.
  int64_t pid = 0;
};

// Parses one request line; the error names the field.
Result<Request> parse_request(std::string_view line);
std::string request_json(const Request& r);

std::string reply_ok(std::string_view seq, std::string_view fields = {});
std::string reply_error(std::string_view seq, std::string_view message);

// A reply as the client sees it: ok or the error text, and the raw line
// for the fields it wants.
struct Reply {
  bool ok = false;
  std::string error;
  std::string line;
};
Reply parse_reply(std::string_view line);
// Field lookups on a reply line (string, integer, raw JSON value).
std::optional<std::string> reply_string(std::string_view line, std::string_view key);
std::optional<int64_t> reply_int(std::string_view line, std::string_view key);
std::optional<std::string> reply_raw(std::string_view line, std::string_view key);

}  // namespace ringc
