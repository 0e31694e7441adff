#include "core/spawn/spawner.h"

#include "core/base/sys.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cgroup/manager.h"
#include "core/base/id.h"
#include "core/init/console.h"
#include "core/spawn/launch.h"
#include "core/spawn/spawn.h"

namespace ringc {

namespace {
void fill_error(SpawnReply& rep, const Error& e) {
  rep.pid = -1;
  rep.err = e.err();
  std::string text = e.what();
  std::strncpy(rep.text, text.c_str(), sizeof rep.text - 1);
}

// One request: read the bundle, clone the init into its cgroup (made by
// the engine) as the engine's child.
struct Request {
  uint64_t token = 0;
  std::string bundle, cgroup;
  InitOptions init;  // its fds are the message's, this process's to close
};

using Head = SpawnRequestHead;

// As Spawner::send writes it; `fds` are the message's.
Result<void> parse(const char* buf, size_t n, std::span<const int> fds, Request& r) {
  auto bad = [](std::string_view why) {
    return ringc_error(Errc::bad_usage, fmt::format("spawn request: {}", why));
  };
  Head head;
  if (n < sizeof head) return bad(fmt::format("{} bytes, shorter than its head", n));
  std::memcpy(&head, buf, sizeof head);
  r.token = head.token;
  if (head.version != kSpawnVersion)
    return bad(fmt::format("version {}, the spawner speaks {}", head.version, kSpawnVersion));
  std::string_view rest(buf + sizeof head, n - sizeof head);
  auto next = [&rest](std::string& out) {
    size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) return false;
    out = std::string(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
    return true;
  };
  if (!next(r.init.id) || !next(r.bundle) || !next(r.cgroup)) return bad("its names are cut short");
  for (unsigned k = 0; k < head.env_count; ++k)
    if (!next(r.init.extra_env.emplace_back())) return bad("its environment is cut short");
  if (!rest.empty()) return bad("bytes after its environment");
  size_t console = head.bits & Head::kConsole ? 1 : 0;
  size_t netns = head.bits & Head::kNetns ? 1 : 0;
  r.init.no_pivot = head.bits & Head::kNoPivot;
  r.init.no_new_keyring = head.bits & Head::kNoNewKeyring;
  r.init.passed_stdio = head.bits & Head::kPassedStdio;
  r.init.parked = head.bits & Head::kParked;
  r.init.preserve_fds = head.preserve_fds;
  size_t want = console + netns + head.preserve_fds + (r.init.passed_stdio ? 3 : 0);
  if (fds.size() != want) return bad(fmt::format("{} fds came, {} expected", fds.size(), want));
  r.init.console_fd = console ? fds[0] : -1;
  r.init.netns_fd = netns ? fds[console] : -1;
  r.init.passed.assign(fds.begin() + long(console + netns), fds.end());
  return outcome::success();
}

// The last bundles read, while their config.json is unchanged (same
// inode, size and modification time): a batch reads one bundle once.
Result<const Prepared*> prepared(const Request& req) {
  struct Kept {
    std::string bundle;
    struct stat st;
    Prepared p;
  };
  static std::vector<Kept> kept;
  struct stat st;
  std::string config = req.bundle + "/config.json";
  if (::stat(config.c_str(), &st) < 0) return sys_error(errno, "stat " + config);
  for (auto& k : kept)
    if (k.bundle == req.bundle && k.st.st_ino == st.st_ino && k.st.st_size == st.st_size &&
        k.st.st_mtim.tv_sec == st.st_mtim.tv_sec && k.st.st_mtim.tv_nsec == st.st_mtim.tv_nsec) {
      RINGC_TRY(validate_id(req.init.id));
      return &k.p;
    }
  RINGC_TRY(auto p, prepare(req.init.id, req.bundle));
  if (kept.size() == 8) kept.erase(kept.begin());
  kept.push_back({req.bundle, st, std::move(p)});
  return &kept.back().p;
}

Result<Spawned> spawn_for(const Request& req) {
  auto detected = cgroup::detect();
  if (!detected) return Error{detected.error(), "detect cgroups"};
  const cgroup::Host* host = detected.value();
  RINGC_TRY(auto pp, prepared(req));
  const Prepared& p = *pp;
  if (p.spec.linux_cfg.find(NsType::user))
    return ringc_error(Errc::bad_usage, "a user namespace is set up by the engine itself");
  SpawnPlan plan;
  plan.spec = &p.spec;
  plan.bundle = p.bundle;
  plan.rootfs = p.rootfs;
  plan.cgroups = host;
  plan.cgroup_path = req.cgroup;
  plan.init = req.init;
  plan.as_sibling = true;
  plan.v2_limits = true;
  plan.device_prog = cgroup::preload_device_program(*host, p.spec.linux_cfg.resources);
  auto v2 = cgroup::open_v2_dir(*host, req.cgroup);
  if (!v2) return Error{v2.error(), "open cgroup " + req.cgroup};
  plan.cgroup_v2_fd = v2.value();
  auto spawned = spawn(plan);
  if (plan.cgroup_v2_fd >= 0) ::close(plan.cgroup_v2_fd);
  return spawned;
}

[[noreturn]] void serve(int sock) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) ::_exit(0);  // the engine is already gone
  static char buf[3 * 4096 + 64];
  std::vector<int> got;
  for (;;) {
    for (int fd : got) ::close(fd);  // the init has its copies
    got.clear();
    ssize_t n = recv_with_fds(sock, buf, sizeof buf, got);
    if (n <= 0) ::_exit(0);  // the engine closed its end
    Request req;
    auto parsed = parse(buf, size_t(n), got, req);
    SpawnReply rep{};
    rep.token = req.token;
    int fds[2] = {-1, -1};
    if (!parsed) {
      fill_error(rep, parsed.error());
    } else if (auto s = spawn_for(req); s) {
      rep.pid = s.value().pid;
      fds[0] = s.value().pidfd;
      fds[1] = s.value().sock;
    } else {
      fill_error(rep, s.error());
    }
    std::string_view payload(reinterpret_cast<const char*>(&rep), sizeof rep);
    (void)send_fds(sock, std::span<const int>(fds, fds[0] >= 0 ? 2 : 0), payload, "reply");
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
}
}  // namespace

Spawner::~Spawner() {
  if (fd_ >= 0) ::close(fd_);  // the helper reads EOF and exits
}

Result<void> Spawner::start() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return sys_error(errno, "socketpair");
  // Born with its name: no moment shows the helper as a second engine.
  char own[16] = {};
  ::prctl(PR_GET_NAME, own);
  ::prctl(PR_SET_NAME, "ringc-spawner");
  pid_t pid = ::fork();
  if (pid != 0) ::prctl(PR_SET_NAME, own);
  if (pid < 0) {
    int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    return sys_error(e, "fork the spawner");
  }
  if (pid == 0) {
    // Only its end of the socket stays open: no client socket, ring or
    // state fd of the engine's lives on in the helper or its inits.
    int sock = ::fcntl(sv[1], F_DUPFD_CLOEXEC, 3);
    if (sock != 3) {
      if (::dup3(sock, 3, O_CLOEXEC) < 0) ::_exit(1);
      sock = 3;
    }
    sys::close_range(4, ~0U);
    serve(sock);
  }
  ::close(sv[1]);
  // Non-blocking: a full socket means "clone it yourself", never a wait.
  ::fcntl(sv[0], F_SETFL, O_NONBLOCK);
  fd_ = sv[0];
  pid_ = pid;
  return outcome::success();
}

bool Spawner::send(uint64_t token, std::string_view bundle, std::string_view cgroup,
                   const InitOptions& init) {
  if (fd_ < 0) return false;
  Head head;
  head.token = token;
  head.bits = uint8_t(
      (init.no_pivot ? Head::kNoPivot : 0) | (init.no_new_keyring ? Head::kNoNewKeyring : 0) |
      (init.passed_stdio ? Head::kPassedStdio : 0) | (init.console_fd >= 0 ? Head::kConsole : 0) |
      (init.parked ? Head::kParked : 0) | (init.netns_fd >= 0 ? Head::kNetns : 0));
  head.env_count = uint16_t(init.extra_env.size());
  head.preserve_fds = init.preserve_fds;
  std::string msg(reinterpret_cast<const char*>(&head), sizeof head);
  for (std::string_view part : {std::string_view(init.id), bundle, cgroup}) {
    msg += part;
    msg += '\0';
  }
  for (const auto& e : init.extra_env) {
    msg += e;
    msg += '\0';
  }
  std::vector<int> fds;
  if (init.console_fd >= 0) fds.push_back(init.console_fd);
  if (init.netns_fd >= 0) fds.push_back(init.netns_fd);
  fds.insert(fds.end(), init.passed.begin(), init.passed.end());
  return bool(send_fds(fd_, fds, msg, "spawn request", MSG_DONTWAIT));
}

void Spawner::stopped() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace ringc
