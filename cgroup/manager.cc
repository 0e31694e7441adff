#include "cgroup/manager.h"

#include "cgroup/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <fmt/format.h>

namespace ringc::cgroup {

namespace {
std::error_code errno_code(int e = errno) {
  return {e, std::generic_category()};
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A new v1 cpuset directory starts with empty cpus and mems: no task may
// join until they are filled from the parent. One that ringc makes first
// gets sched_load_balance 0 (while its cpus are empty, so that the write
// rebuilds nothing): balancing is the root's, which covers every cpu, and
// with the flag off neither the cpus write nor the rmdir rebuilds the
// scheduling domains — a walk over every cpuset and task on the host that
// the kernel does under its cgroup lock, milliseconds at 10,000 containers.
void init_cpuset(const std::string& dir, const std::string& parent, bool made) {
  if (made) write_text(dir + "/cpuset.sched_load_balance", "0");
  for (const char* f : {"cpuset.cpus", "cpuset.mems"}) {
    if (!made && !trim(read_text(dir + "/" + f)).empty()) continue;
    write_text(dir + "/" + f, trim(read_text(parent + "/" + f)));
  }
}

// mkdir -p of path under mnt; the created directories (deepest last) are
// appended to made.
// On a unified host a child only has the interface files of the
// controllers its parent enables: enable every available one that is not
// yet (read first, so the common case writes nothing). A parent with
// processes of its own refuses (no internal processes): then the child
// simply has fewer files. The kernel takes a list all or nothing, so when
// one controller is refused (cpu, while a realtime thread sits outside the
// root) the others are enabled one by one.
void delegate_controllers(const std::string& parent) {
  std::string avail = " " + trim(read_text(parent + "/cgroup.controllers")) + " ";
  std::string on = " " + trim(read_text(parent + "/cgroup.subtree_control")) + " ";
  std::vector<std::string> want;
  for (const char* c : {"cpu", "cpuset", "io", "memory", "pids", "hugetlb"}) {
    std::string word = " " + std::string(c) + " ";
    if (avail.find(word) != std::string::npos && on.find(word) == std::string::npos)
      want.push_back("+" + std::string(c));
  }
  if (want.empty()) return;
  std::string all;
  for (const auto& w : want) all += (all.empty() ? "" : " ") + w;
  std::string file = parent + "/cgroup.subtree_control";
  if (write_text(file, all) < 0 && want.size() > 1)
    for (const auto& w : want) write_text(file, w);
}

int mkdir_all(const Hierarchy& h, std::string_view path, bool delegate,
              std::vector<std::string>& made) {
  std::string dir = h.mount;
  size_t pos = 0;
  bool cpuset = h.controllers.find("cpuset") != std::string::npos;
  // The common case first: the parents are there (every container after
  // the first; a pooled path is there whole). One mkdir, no walk. Where
  // controllers are delegated level by level, always the walk.
  size_t last = path.find_last_of('/');
  if (!delegate && last != std::string_view::npos && last > 0 && last + 1 < path.size()) {
    std::string leaf = dir + std::string(path[0] == '/' ? "" : "/") + std::string(path);
    bool fresh = ::mkdir(leaf.c_str(), 0755) == 0;
    if (!fresh && errno != EEXIST && errno != ENOENT) return -errno;
    if (fresh) made.push_back(leaf);
    if (!fresh && errno == EEXIST) {
      if (cpuset) init_cpuset(leaf, leaf.substr(0, leaf.rfind('/')), false);
      return 0;
    }
    if (fresh && !cpuset) return 0;
    // A new cpuset: balancing off before its cpus are written (below, by
    // the walk, which also fills any parent left empty).
    if (fresh) write_text(leaf + "/cpuset.sched_load_balance", "0");
  }
  while (pos < path.size()) {
    size_t next = path.find('/', pos + 1);
    std::string_view part = path.substr(pos, next == std::string_view::npos ? next : next - pos);
    pos = next == std::string_view::npos ? path.size() : next;
    if (part == "/" || part.empty()) continue;
    std::string parent = dir;
    dir += part[0] == '/' ? std::string(part) : "/" + std::string(part);
    if (delegate) delegate_controllers(parent);
    bool fresh = ::mkdir(dir.c_str(), 0755) == 0;
    if (fresh)
      made.push_back(dir);
    else if (errno != EEXIST)
      return -errno;
    if (cpuset) init_cpuset(dir, parent, fresh);
  }
  return 0;
}
}  // namespace

std::string default_path(std::string_view id) {
  return "/ringc/" + std::string(id);
}

bool climbs(std::string_view path) {
  for (size_t at = 0; at <= path.size();) {
    size_t end = std::min(path.find_first_of("/:", at), path.size());
    if (path.substr(at, end - at) == "..") return true;
    at = end + 1;
  }
  return false;
}

std::string resolve_path(std::string_view p, std::string_view id) {
  if (p.empty()) return default_path(id);
  if (p[0] == '/') return std::string(p);
  // systemd form: "slice:prefix:name" (runc --systemd-cgroup).
  size_t c1 = p.find(':');
  if (c1 != std::string_view::npos) {
    size_t c2 = p.find(':', c1 + 1);
    if (c2 != std::string_view::npos) {
      std::string slice(p.substr(0, c1)), prefix(p.substr(c1 + 1, c2 - c1 - 1)),
          name(p.substr(c2 + 1));
      if (slice.empty()) slice = "system.slice";
      std::string unit = name.ends_with(".slice") ? name : prefix + "-" + name + ".scope";
      // Nested slices: "a-b.slice" lives in a.slice/a-b.slice.
      std::string dir;
      std::string_view s = slice;
      if (s != "-.slice") {
        std::string_view base = s.substr(0, s.size() - 6);  // drop ".slice"
        for (size_t i = 0; i <= base.size(); ++i) {
          if (i == base.size() || base[i] == '-')
            dir += "/" + std::string(base.substr(0, i)) + ".slice";
        }
      }
      return dir + "/" + unit;
    }
  }
  return "/ringc/" + std::string(p);
}

Result<void> create(const Host& host, std::string_view path, Part part) {
  std::vector<std::string> made;
  for (auto& h : host.hierarchies) {
    if ((part == Part::v2 && !h.v2) || (part == Part::v1 && h.v2)) continue;
    bool delegate = h.v2 && host.layout == Layout::unified;
    if (int r = mkdir_all(h, path, delegate, made); r < 0) {
      for (auto it = made.rbegin(); it != made.rend(); ++it) ::rmdir(it->c_str());
      return errno_code(-r);
    }
  }
  return outcome::success();
}

void enable_controller(const Host& host, std::string_view path, const char* controller) {
  const Hierarchy* h = host.v2();
  if (!h) return;
  std::string dir = h->mount;
  const std::string add = fmt::format("+{}", controller);
  const std::string word = fmt::format(" {} ", controller);
  size_t pos = 1;
  for (;;) {
    const std::string on = fmt::format(" {} ", trim(read_text(dir + "/cgroup.subtree_control")));
    if (on.find(word) == std::string::npos) write_text(dir + "/cgroup.subtree_control", add);
    size_t next = path.find('/', pos);
    if (next == std::string_view::npos) return;  // dir is now path's parent
    dir += std::string(path.substr(pos - 1, next - pos + 1));
    pos = next + 1;
  }
}

Result<int> open_v2_dir(const Host& host, std::string_view path) {
  const Hierarchy* h = host.v2();
  if (!h) return -1;
  std::string dir = h->mount + std::string(path);
  int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_code();
  return fd;
}

// Through `tasks`, not `cgroup.procs`: the kernel moves the single thread
// that is `current` without taking the global cgroup_threadgroup_rwsem for
// writing, whose RCU grace period cost 7-15 ms per join here. The child is
// single-threaded, so its thread is its whole process.
int join_self_v1(const Host& host, std::string_view path, pid_t pid) {
  std::string text = std::to_string(pid);
  for (auto& h : host.hierarchies) {
    if (h.v2) continue;
    if (int r = write_text(h.mount + std::string(path) + "/tasks", text); r < 0) return r;
  }
  return 0;
}

Result<std::vector<pid_t>> pids(const Host& host, std::string_view path) {
  const Hierarchy* h = host.v2();
  if (!h) h = host.v1("pids");
  if (!h) h = host.v1("freezer");
  if (!h && !host.hierarchies.empty()) h = &host.hierarchies.front();
  if (!h) return errno_code(ENOENT);
  int err = 0;
  std::string text = read_text(h->mount + std::string(path) + "/cgroup.procs", &err);
  if (err < 0) return errno_code(-err);
  std::vector<pid_t> out;
  for_each_line(text, [&](std::string_view line) {
    if (!line.empty()) out.push_back(pid_t(std::strtol(std::string(line).c_str(), nullptr, 10)));
  });
  return out;
}

Result<void> signal_all(const Host& host, std::string_view path, int sig) {
  if (const Hierarchy* h = host.v2(); h && sig == SIGKILL) {
    int r = write_text(h->mount + std::string(path) + "/cgroup.kill", "1");
    if (r == 0) return outcome::success();
    if (r != -ENOENT) return errno_code(-r);  // ENOENT: kernel before 5.14
  }
  auto list = pids(host, path);
  if (!list) return list.error();
  for (pid_t p : list.value())
    if (::kill(p, sig) < 0 && errno != ESRCH) return errno_code();
  return outcome::success();
}

namespace {
// Deepest first: what each sub-cgroup holds is killed, then it is removed;
// one still busy (its tasks leaving) is left for the caller's next try.
void remove_below(const std::string& dir, int depth) {
  if (depth > 64) return;
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return;
  }
  std::vector<std::string> subs;
  while (dirent* e = ::readdir(d))
    if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, ".."))
      subs.push_back(dir + "/" + e->d_name);
  ::closedir(d);
  for (auto& sub : subs) {
    remove_below(sub, depth + 1);
    for_each_line(read_text(sub + "/cgroup.procs"), [](std::string_view line) {
      if (!line.empty())
        ::kill(pid_t(std::strtol(std::string(line).c_str(), nullptr, 10)), SIGKILL);
    });
    ::rmdir(sub.c_str());
  }
}
}  // namespace

void remove_descendants(const Host& host, std::string_view path) {
  for (auto& h : host.hierarchies) remove_below(h.mount + std::string(path), 0);
}

Result<void> destroy(const Host& host, std::string_view path) {
  int busy = 0;
  for (auto& h : host.hierarchies) {
    std::string dir = h.mount + std::string(path);
    if (::rmdir(dir.c_str()) < 0 && errno != ENOENT) {
      if (errno != EBUSY) return errno_code();
      // Sub-cgroups the container made: gone for the caller's next try.
      remove_below(dir, 0);
      busy = EBUSY;
    }
  }
  if (busy) return errno_code(busy);
  return outcome::success();
}

namespace {
bool may_write(const std::string& path, int mode = W_OK) {
  return ::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) == 0;
}

// This process's cgroup in the v2 hierarchy ("0::/a/b" in /proc/self/cgroup).
std::string own_v2_cgroup() {
  std::string own;
  for_each_line(read_text("/proc/self/cgroup"), [&](std::string_view line) {
    if (line.starts_with("0::")) own = std::string(line.substr(3));
  });
  return own;
}

// The longest common prefix of two cgroup paths that ends at a '/'.
std::string common_ancestor(std::string_view a, std::string_view b) {
  size_t n = 0, last = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) {
    if (a[n] == '/') last = n;
    ++n;
  }
  bool whole = (n == a.size() || a[n] == '/') && (n == b.size() || b[n] == '/');
  return std::string(a.substr(0, whole ? n : last));
}
}  // namespace

std::optional<std::string> unwritable(const Host& host, std::string_view path) {
  for (auto& h : host.hierarchies) {
    std::string dir = h.mount + std::string(path);
    if (::access(dir.c_str(), F_OK) == 0) {
      if (!may_write(dir + "/cgroup.procs")) return dir + "/cgroup.procs";
    } else {
      while (dir.size() > h.mount.size() && ::access(dir.c_str(), F_OK) != 0)
        dir.resize(dir.rfind('/'));
      if (!may_write(dir, W_OK | X_OK)) return dir;
    }
    if (!h.v2) continue;
    std::string shared = h.mount + common_ancestor(own_v2_cgroup(), path) + "/cgroup.procs";
    if (!may_write(shared)) return shared;
  }
  return std::nullopt;
}

bool exists(const Host& host, std::string_view path) {
  for (auto& h : host.hierarchies) {
    struct stat st;
    if (::stat((h.mount + std::string(path)).c_str(), &st) == 0) return true;
  }
  return false;
}

}  // namespace ringc::cgroup
