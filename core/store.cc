#include "core/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>

namespace ringc {

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

Result<void> Store::claim(std::string_view id) const {
  RINGC_TRY(mkdir_p(root_, 0700));
  std::string d = dir(id);
  if (::mkdir(d.c_str(), 0711) < 0) {
    if (errno == EEXIST)
      return ringc_error(Errc::exists, fmt::format("container with id exists: {}", id));
    return sys_error(errno, "mkdir " + d);
  }
  return outcome::success();
}

Result<void> Store::write(std::string_view id, const RecordFields& f) const {
  std::string bytes = encode(f);
  std::string final_path = dir(id) + "/state";
  std::string tmp = fmt::format("{}.tmp.{}", final_path, ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error(errno, "open " + tmp);
  ssize_t n = ::write(fd, bytes.data(), bytes.size());
  int e = n < 0 ? errno : (size_t(n) != bytes.size() ? EIO : 0);
  ::close(fd);
  if (e == 0 && ::rename(tmp.c_str(), final_path.c_str()) < 0) e = errno;
  if (e) {
    ::unlink(tmp.c_str());
    return sys_error(e, "write " + final_path);
  }
  return outcome::success();
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
  DIR* dp = ::opendir(d.c_str());
  if (!dp) {
    if (errno == ENOENT) return outcome::success();
    return sys_error(errno, "open " + d);
  }
  while (dirent* e = ::readdir(dp)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    ::unlinkat(::dirfd(dp), e->d_name, 0);
  }
  ::closedir(dp);
  if (::rmdir(d.c_str()) < 0 && errno != ENOENT) return sys_error(errno, "rmdir " + d);
  return outcome::success();
}

}  // namespace ringc
