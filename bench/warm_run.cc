// ringc-warm-run: the latency of `run` through a daemon, from the request
// to the reply that the program has exec'd (docs/pools.md). Requests go
// one at a time on one connection, each `run` of the bundle with "rm"
// (the container is removed after its exit, while the next one starts);
// with --pool N the bundle is parked first (the `pool` request) and the
// first N runs are not counted while the pool fills. Prints one JSON line.
// --interval-ms T paces the requests (one every T ms, the client sleeping
// between): the latency a run sees when the pool has time to refill,
// against back-to-back runs, whose rate the refills' CPU bounds.
//   ringc-warm-run --socket S --bundle B [--count 200] [--pool N] [--prefix w]
//                  [--interval-ms T]
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {
using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "ringc-warm-run: %s\n", why.c_str());
  std::exit(1);
}

class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
      fail(fmt::format("connect {}: {}", path, std::strerror(errno)));
  }
  // One request line, its reply line.
  std::string call(const std::string& line) {
    if (::write(fd_, line.data(), line.size()) != ssize_t(line.size())) fail("write: daemon gone");
    for (;;) {
      if (size_t nl = buf_.find('\n'); nl != std::string::npos) {
        std::string out = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return out;
      }
      char b[4096];
      ssize_t n = ::read(fd_, b, sizeof b);
      if (n <= 0) fail("read: daemon gone");
      buf_.append(b, size_t(n));
    }
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}
}  // namespace

int main(int argc, char** argv) {
  std::string socket, bundle, prefix = "warm";
  int count = 200, pool = 0, interval_ms = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--socket")
      socket = v;
    else if (k == "--bundle")
      bundle = v;
    else if (k == "--count")
      count = std::atoi(v.c_str());
    else if (k == "--pool")
      pool = std::atoi(v.c_str());
    else if (k == "--prefix")
      prefix = v;
    else if (k == "--interval-ms")
      interval_ms = std::atoi(v.c_str());
    else
      fail("unknown option " + k);
  }
  if (socket.empty() || bundle.empty() || bundle[0] != '/' || count < 1)
    fail("usage: --socket S --bundle /ABS [--count N] [--pool N] [--prefix P]");
  Client c(socket);
  if (pool > 0) {
    std::string r = c.call(fmt::format(R"({{"op":"pool","bundle":"{}","size":{}}})"
                                       "\n",
                                       bundle, pool));
    if (r.find("\"ok\":true") == std::string::npos) fail("pool: " + r);
    // Filled in the background: wait until the stats say so.
    for (int tries = 0;; ++tries) {
      std::string st = c.call("{\"op\":\"stats\"}\n");
      if (st.find(fmt::format("\"ready\":{},", pool)) != std::string::npos) break;
      if (tries > 1000) fail("the pool did not fill: " + st);
      std::this_thread::sleep_for(
          std::chrono::milliseconds(10));  // a client's poll, not the daemon's
    }
  }
  std::vector<double> ms;
  int failed = 0;
  std::string last_error;
  auto t0 = Clock::now();
  auto next = Clock::now();
  for (int i = 0; i < count; ++i) {
    if (interval_ms > 0) {
      std::this_thread::sleep_until(next);
      next += std::chrono::milliseconds(interval_ms);
    }
    std::string req = fmt::format(R"({{"op":"run","id":"{}-{}","bundle":"{}","rm":true}})"
                                  "\n",
                                  prefix, i, bundle);
    auto s = Clock::now();
    std::string r = c.call(req);
    double d = std::chrono::duration<double, std::milli>(Clock::now() - s).count();
    if (r.find("\"ok\":true") == std::string::npos) {
      ++failed;
      last_error = r;
      continue;
    }
    ms.push_back(d);
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::string st = c.call("{\"op\":\"stats\"}\n");
  size_t at = st.find("\"parked\":");
  std::printf(
      "{\"count\":%d,\"interval_ms\":%d,\"failed\":%d,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%."
      "3f,"
      "\"runs_per_second\":%.1f,\"last_error\":\"%s\",%s\n",
      count, interval_ms, failed, pct(ms, 0.5), pct(ms, 0.95), pct(ms, 0.99),
      double(count - failed) / secs, failed ? "see stderr" : "",
      at == std::string::npos ? "\"parked\":[]}" : st.c_str() + at);
  if (failed) std::fprintf(stderr, "last error: %s\n", last_error.c_str());
  return failed ? 1 : 0;
}
