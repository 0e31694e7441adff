// The daemon's unix socket, served through the engine's ring: accept,
// reads split into lines, queued writes. Nothing here waits on a client:
// a line over max_line or a client that lets max_queued bytes of replies
// pile up is dropped, and the others never notice.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/error.h"
#include "core/base/sys.h"
#include "core/init/console.h"
#include "ring/ring.h"
#include "ring/token.h"

namespace ringc {

struct ServerOptions {
  std::string path;
  std::vector<uid_t> allowed_uids;  // besides root
  size_t max_line = 1 << 16;
  size_t max_queued = 4 << 20;
  size_t max_fds = 1024;  // received and not yet taken, per client
  bool locked = false;    // the caller holds path.lock (the daemon's reaper does)
};

// One daemon per socket: path.lock, held (flock) for as long as the
// returned fd is open. Refused while another holds it.
Result<int> lock_socket(const std::string& path);

class Server {
 public:
  // Completions whose tag is at least kTagBase belong to the server.
  static constexpr uint16_t kTagBase = ring::kOtherTagBase;

  explicit Server(ring::Ring& r) : ring_(r) {}
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Takes path.lock unless the caller has, binds path (mode 0600; a stale socket file is
  // replaced) and accepts.
  Result<void> listen(ServerOptions o);
  void handle(const ring::Completion& c);

  // One request line from client (without the newline).
  std::function<void(uint32_t client, std::string_view line)> on_line;
  std::function<void(uint32_t client)> on_close;

  // The next n fds the client sent (SCM_RIGHTS, with the request that
  // declares them), oldest first; fewer if it sent fewer.
  std::vector<sys::UniqueFd> take_fds(uint32_t client, size_t n);

  // Queues text (a whole reply line) for the client; false if it is gone.
  bool send(uint32_t client, std::string_view text);
  bool alive(uint32_t client) const;
  // Stops reading; what is queued is still written, then the socket closes.
  void finish(uint32_t client);
  size_t clients() const;

 private:
  enum Tag : uint16_t { kAccept = kTagBase, kRead, kWrite };
  struct Client {
    uint16_t generation = 0;
    bool used = false, closing = false, writing = false;
    int fd = -1;
    uint16_t pending = 0;
    std::string in;       // unparsed input
    std::string sending;  // under a write: never touched until it completes
    size_t sent = 0;
    std::string queued;             // what comes after
    std::deque<sys::UniqueFd> fds;  // received, not yet taken by a request
    char buf[4096];
    iovec iov{};
    msghdr msg{};
    alignas(cmsghdr) char control[CMSG_SPACE(kMaxSentFds * sizeof(int))];
  };

  uint64_t token(uint32_t i, Tag t) const;
  void accept_next();
  void read_next(uint32_t i);
  bool keep_fds(Client& cl);
  void write_next(uint32_t i);
  void drop(uint32_t i);
  void maybe_free(uint32_t i);
  bool peer_allowed(int fd) const;

  ring::Ring& ring_;
  ServerOptions opts_;
  int listen_fd_ = -1, lock_fd_ = -1;
  std::deque<Client> clients_;  // SQEs point into clients: they never move
  std::vector<uint32_t> free_;
};

}  // namespace ringc
