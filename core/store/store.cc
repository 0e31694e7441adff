#include "core/store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

#include "cgroup/manager.h"

namespace ringc {

std::string default_root() {
  if (::geteuid() == 0) return std::string(kDefaultRoot);
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg) return std::string(xdg) + "/ringc";
  return "/run/user/" + std::to_string(::geteuid()) + "/ringc";
}

namespace {
Result<void> mkdir_p(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return outcome::success();
  if (errno != ENOENT) return sys_error(errno, "mkdir " + path);
  size_t slash = path.rfind('/');
  if (slash == 0 || slash == std::string::npos) return sys_error(ENOENT, "mkdir " + path);
  RINGC_TRY(mkdir_p(path.substr(0, slash), mode));
  if (::mkdir(path.c_str(), mode) < 0 && errno != EEXIST) return sys_error(errno, "mkdir " + path);
  return outcome::success();
}
}  // namespace

namespace {
// name in dirfd and all below it (no links followed: unlinkat removes them).
void remove_tree(int dirfd, const char* name) {
  int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) {
    if (DIR* d = ::fdopendir(fd)) {
      while (dirent* e = ::readdir(d)) {
        std::string_view n = e->d_name;
        if (n == "." || n == "..") continue;
        if (::unlinkat(::dirfd(d), e->d_name, 0) < 0 && errno == EISDIR)
          remove_tree(::dirfd(d), e->d_name);
      }
      ::closedir(d);
    } else {
      ::close(fd);
    }
  }
  ::unlinkat(dirfd, name, AT_REMOVEDIR);
}
}  // namespace

bool Store::durable() const {
  if (durable_ < 0) {
    struct statfs fs {};
    if (::statfs(root_.c_str(), &fs) != 0) return false;  // no root yet: asked again once made
    durable_ = fs.f_type != TMPFS_MAGIC && fs.f_type != RAMFS_MAGIC;
  }
  return durable_ == 1;
}

namespace {
// Writes all of bytes to a new file (flags add O_EXCL or O_TRUNC), synced
// when durable. errno value, 0 on success.
int write_file(const std::string& path, const std::string& bytes, int flags, bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0600);
  if (fd < 0) return errno;
  ssize_t n = ::write(fd, bytes.data(), bytes.size());
  int e = n < 0 ? errno : (size_t(n) != bytes.size() ? EIO : 0);
  if (e == 0 && sync && ::fsync(fd) < 0) e = errno;
  ::close(fd);
  return e;
}

void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}
}  // namespace

Result<void> Store::claim(std::string_view id, const RecordFields& intent, bool sync) const {
  std::string bytes = encode(intent);
  if (bytes.size() > kRecordMax)
    return ringc_error(Errc::bad_spec,
                       fmt::format("{}/config.json: the container's state record would be {} "
                                   "bytes (annotations and paths), over the {} byte limit",
                                   intent.bundle, bytes.size(), kRecordMax));
  RINGC_TRY(mkdir_p(root_, 0700));
  std::string d = dir(id);
  if (::mkdir(d.c_str(), 0711) < 0) {
    if (errno == EEXIST)
      return ringc_error(Errc::exists, fmt::format("container with id exists: {}", id));
    return sys_error(errno, "mkdir " + d);
  }
  // Straight to its name: nothing older to replace, and a torn one still
  // names the id, whose default cgroup a forced delete then clears.
  sync = sync && durable();
  if (int e = write_file(d + "/state", bytes, O_EXCL, sync)) {
    ::rmdir(d.c_str());
    return sys_error(e, "write " + d + "/state");
  }
  if (sync) sync_dir(root_);
  return outcome::success();
}

Result<void> Store::sync_claim(std::string_view id) const {
  std::string path = dir(id) + "/state";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, "open " + path);
  int e = ::fsync(fd) < 0 ? errno : 0;
  ::close(fd);
  if (e) return sys_error(e, "fsync " + path);
  sync_dir(root_);
  return outcome::success();
}

Result<void> Store::write(std::string_view id, const RecordFields& f, bool sync_it) const {
  std::string bytes = encode(f);
  std::string final_path = dir(id) + "/state";
  std::string tmp = fmt::format("{}.tmp.{}", final_path, ::getpid());
  bool sync = sync_it && durable();
  int e = write_file(tmp, bytes, O_TRUNC, sync);
  if (e == 0 && ::rename(tmp.c_str(), final_path.c_str()) < 0) e = errno;
  if (e) {
    ::unlink(tmp.c_str());
    return sys_error(e, "write " + final_path);
  }
  if (sync) sync_dir(dir(id));
  return outcome::success();
}

std::vector<char> Store::raw(std::string_view id) const {
  std::vector<char> buf;
  int fd = ::open((dir(id) + "/state").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return buf;
  char chunk[65536];
  ssize_t n;
  while (buf.size() <= kRecordMax && (n = ::read(fd, chunk, sizeof chunk)) > 0)
    buf.insert(buf.end(), chunk, chunk + n);
  ::close(fd);
  return buf;
}

bool Store::exists(std::string_view id) const {
  struct stat st;
  return ::stat(dir(id).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<LoadedRecord> Store::read(std::string_view id) const {
  std::string path = dir(id) + "/state";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return ringc_error(Errc::not_found, fmt::format("container \"{}\" does not exist", id));
    return sys_error(errno, "open " + path);
  }
  struct stat st;
  if (::fstat(fd, &st) < 0 || st.st_size > kRecordMax) {
    ::close(fd);
    return ringc_error(Errc::corrupt_state, "state record " + path + ": too large");
  }
  std::vector<char> buf(size_t(st.st_size));
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = ::read(fd, buf.data() + got, buf.size() - got);
    if (n <= 0) break;
    got += size_t(n);
  }
  ::close(fd);
  buf.resize(got);
  RINGC_TRY(auto v, RecordView::parse(buf, path));
  if (v.id() != id)
    return ringc_error(Errc::corrupt_state, "state record " + path + ": id mismatch");
  return LoadedRecord(std::move(buf), v);
}

std::vector<std::string> Store::list() const {
  std::vector<std::string> ids;
  DIR* d = ::opendir(root_.c_str());
  if (!d) return ids;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) continue;
    ids.emplace_back(e->d_name);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<void> Store::remove(std::string_view id) const {
  std::string d = dir(id);
  // Most directories hold the record alone: two syscalls, no scan.
  ::unlink((d + "/state").c_str());
  if (::rmdir(d.c_str()) == 0 || errno == ENOENT) return outcome::success();
  // Else a scan; again if another process wrote meanwhile (a supervisor
  // recording an exit as this delete ran): ENOTEMPTY once more.
  for (int pass = 0;; ++pass) {
    DIR* dp = ::opendir(d.c_str());
    if (!dp) {
      if (errno == ENOENT) return outcome::success();
      return sys_error(errno, "open " + d);
    }
    while (dirent* e = ::readdir(dp)) {
      std::string_view n = e->d_name;
      if (n == "." || n == "..") continue;
      if (::unlinkat(::dirfd(dp), e->d_name, 0) < 0 && errno == EISDIR)
        remove_tree(::dirfd(dp), e->d_name);  // a damaged store: `state` a directory
    }
    ::closedir(dp);
    if (::rmdir(d.c_str()) == 0 || errno == ENOENT) return outcome::success();
    if (errno != ENOTEMPTY || pass == 3) return sys_error(errno, "rmdir " + d);
  }
}

std::optional<std::string> Store::unrecorded_cgroup(std::string_view id, const Error& why) const {
  if (!why.is(Errc::corrupt_state) && !(why.is(Errc::not_found) && exists(id))) return std::nullopt;
  return RecordView::salvage_cgroup(raw(id), id).value_or(cgroup::default_path(id));
}

}  // namespace ringc
