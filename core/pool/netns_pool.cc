#include "core/pool/netns_pool.h"

#include "core/pool/confined.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace ringc {

std::optional<std::string> unpoolable(const Spec& spec) {
  const Namespace* net = spec.linux_cfg.find(NsType::network);
  if (!net || !net->path.empty()) return "it does not ask for a network namespace of its own";
  if (auto why = unconfined(spec, {{CAP_NET_ADMIN, "CAP_NET_ADMIN"},
                                   {CAP_NET_RAW, "CAP_NET_RAW"},
                                   {CAP_SYS_ADMIN, "CAP_SYS_ADMIN"}}))
    return why;
  const auto& ro = spec.linux_cfg.readonly_paths;
  if (std::find(ro.begin(), ro.end(), "/proc/sys") == ro.end() &&
      std::find(ro.begin(), ro.end(), "/proc") == ro.end())
    return "/proc/sys is not among /linux/readonlyPaths";
  for (auto& [key, value] : spec.linux_cfg.sysctl)
    if (key.rfind("net.", 0) == 0) return fmt::format("/linux/sysctl sets {}", key);
  if (spec.hooks.any()) return "it has hooks (one may configure the namespace)";
  return std::nullopt;
}

Result<sys::UniqueFd> make_netns(int home) {
  if (::unshare(CLONE_NEWNET) < 0) return sys_error(errno, "unshare a network namespace");
  sys::UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  int e = errno;
  // Back home before anything else: this thread's sockets are made there.
  if (::setns(home, CLONE_NEWNET) < 0) ::abort();  // root, our own namespace: never refused
  if (fd.get() < 0) return sys_error(e, "open the new network namespace");
  return fd;
}

namespace {
// The namespace's socket counts (/proc/thread-self/net/sockstat and
// sockstat6: per namespace, unlike the tables of tcp or udp, whose reads
// walk the host's whole hash): any socket in use, of any family (`used`,
// `inuse`), an orphan or a TIME_WAIT (`tw`), a fragment queue. `alloc` and
// `mem` are the host's.
std::optional<std::string> sockets_left(const char* file) {
  FILE* f = std::fopen(file, "re");
  if (!f) return std::nullopt;  // no IPv6 in this kernel
  char line[256];
  std::optional<std::string> why;
  while (!why && std::fgets(line, sizeof line, f)) {
    char proto[32] = {};
    int off = 0;
    if (std::sscanf(line, "%31[^:]:%n", proto, &off) < 1) continue;
    char key[32];
    unsigned long long v;
    int n = 0;
    for (const char* p = line + off; std::sscanf(p, " %31s %llu%n", key, &v, &n) == 2; p += n) {
      std::string_view k = key;
      if (v && (k == "used" || k == "inuse" || k == "orphan" || k == "tw"))
        why = fmt::format("{}: {} {} left", proto, k, v);
    }
  }
  std::fclose(f);
  return why;
}

std::optional<std::string> dirty_here() {
  // Interfaces: /proc/net/dev has two header lines, then one per device.
  FILE* f = std::fopen("/proc/thread-self/net/dev", "re");
  if (!f) return "cannot read its interfaces";
  char line[512];
  int n = 0;
  std::optional<std::string> why;
  while (std::fgets(line, sizeof line, f)) {
    if (++n <= 2) continue;
    char name[IFNAMSIZ + 1] = {};
    unsigned long long c[16] = {};
    if (std::sscanf(line,
                    " %16[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
                    "%llu %llu %llu %llu %llu",
                    name, &c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9],
                    &c[10], &c[11], &c[12], &c[13], &c[14], &c[15]) < 2)
      continue;
    if (std::strcmp(name, "lo") != 0) {
      why = fmt::format("an interface was added: {}", name);
      break;
    }
    for (auto v : c)
      if (v) why = "lo carried traffic";
  }
  std::fclose(f);
  if (why) return why;
  // Sockets of every family, TIME_WAIT included, before our own probe.
  if (auto left = sockets_left("/proc/thread-self/net/sockstat")) return left;
  if (auto left = sockets_left("/proc/thread-self/net/sockstat6")) return left;
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);  // made in the namespace entered
  if (s < 0) return "cannot ask for lo's flags";
  ifreq ifr{};
  std::strcpy(ifr.ifr_name, "lo");
  int r = ::ioctl(s, SIOCGIFFLAGS, &ifr);
  ::close(s);
  if (r < 0) return "lo is gone";
  if (ifr.ifr_flags & IFF_UP) return "lo was brought up";
  return std::nullopt;
}
}  // namespace

std::optional<std::string> netns_dirty(int netns, int home) {
  if (::setns(netns, CLONE_NEWNET) < 0)
    return fmt::format("cannot enter it: {}", std::strerror(errno));
  auto why = dirty_here();
  if (::setns(home, CLONE_NEWNET) < 0) ::abort();
  return why;
}

Result<void> NetnsPool::open_home() {
  if (home_.get() >= 0) return outcome::success();
  home_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (home_.get() < 0) return sys_error(errno, "open this thread's network namespace");
  return outcome::success();
}

Result<void> NetnsPool::fill() {
  RINGC_TRY(open_home());
  while (free_.size() < size_) {
    RINGC_TRY(auto fd, make_netns(home_.get()));
    free_.push_back(std::move(fd));
  }
  return outcome::success();
}

Result<sys::UniqueFd> NetnsPool::take() {
  RINGC_TRY(open_home());
  if (!free_.empty()) {
    ++stats_.hits;
    sys::UniqueFd fd = std::move(free_.back());
    free_.pop_back();
    return fd;
  }
  ++stats_.misses;
  return make_netns(home_.get());
}

void NetnsPool::give(sys::UniqueFd netns) {
  if (netns.get() < 0 || home_.get() < 0) return;
  std::optional<std::string> why;
  if (free_.size() >= size_)
    why = "the pool is full";
  else
    why = netns_dirty(netns.get(), home_.get());
  if (why) {
    ++stats_.discarded;
    stats_.last_discard = std::move(*why);
    return;  // closed here: the kernel destroys it once nothing holds it
  }
  ++stats_.recycled;
  free_.push_back(std::move(netns));
}

}  // namespace ringc
