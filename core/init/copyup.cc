#include "core/init/copyup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "core/base/sys.h"

namespace ringc {

namespace {
Result<void> fail(int e, const std::string& what, const std::string& rel) {
  return sys_error(e, fmt::format("tmpcopyup {}: {}", what, rel));
}

Result<void> copy_file(int from_dir, int to_dir, const char* name, const struct stat& st,
                       const std::string& what, const std::string& rel) {
  sys::UniqueFd in(::openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (in.get() < 0) return fail(errno, what, rel);
  sys::UniqueFd out(::openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                             st.st_mode & 07777));
  if (out.get() < 0) return fail(errno, what, rel);
  off_t left = st.st_size;
  while (left > 0) {
    ssize_t n = ::sendfile(out.get(), in.get(), nullptr, size_t(std::min<off_t>(left, 1 << 30)));
    if (n < 0) return fail(errno, what, rel);
    if (n == 0) break;  // shrank meanwhile
    left -= n;
  }
  return outcome::success();
}

// Owner, mode (chown clears set-id bits, so mode after) and times.
Result<void> copy_attrs(int dir, const char* name, const struct stat& st, const std::string& what,
                        const std::string& rel) {
  int flags = name[0] ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;
  if (::fchownat(dir, name, st.st_uid, st.st_gid, flags) < 0) return fail(errno, what, rel);
  if (!S_ISLNK(st.st_mode)) {
    mode_t mode = st.st_mode & 07777;
    if ((name[0] ? ::fchmodat(dir, name, mode, 0) : ::fchmod(dir, mode)) < 0)
      return fail(errno, what, rel);
  }
  timespec times[2] = {st.st_atim, st.st_mtim};
  int r = name[0] ? ::utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) : ::futimens(dir, times);
  if (r < 0) return fail(errno, what, rel);
  return outcome::success();
}

Result<void> copy_dir(int from, int to, const std::string& what, const std::string& rel,
                      int depth) {
  if (depth > 256) return fail(ELOOP, what, rel);
  int dup = ::fcntl(from, F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return fail(errno, what, rel);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    int e = errno;
    ::close(dup);
    return fail(e, what, rel);
  }
  Result<void> r = outcome::success();
  while (dirent* e = ::readdir(d)) {
    const char* name = e->d_name;
    if (!std::strcmp(name, ".") || !std::strcmp(name, "..")) continue;
    std::string sub = rel + "/" + name;
    struct stat st;
    if (::fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      r = fail(errno, what, sub);
      break;
    }
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(to, name, 0700) < 0) {
        r = fail(errno, what, sub);
        break;
      }
      sys::UniqueFd src(::openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      sys::UniqueFd dst(::openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (src.get() < 0 || dst.get() < 0) {
        r = fail(errno, what, sub);
        break;
      }
      r = copy_dir(src.get(), dst.get(), what, sub, depth + 1);
    } else if (S_ISREG(st.st_mode)) {
      r = copy_file(from, to, name, st, what, sub);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = ::readlinkat(from, name, target, sizeof target - 1);
      if (n < 0) {
        r = fail(errno, what, sub);
        break;
      }
      target[n] = '\0';
      if (::symlinkat(target, to, name) < 0) r = fail(errno, what, sub);
    } else if (::mknodat(to, name, st.st_mode, st.st_rdev) < 0) {  // fifo, socket, device
      r = fail(errno, what, sub);
    }
    if (r) r = copy_attrs(to, name, st, what, sub);
    if (!r) break;
  }
  ::closedir(d);
  return r;
}
}  // namespace

Result<void> copy_tree(int from, int to, bool keep_root_mode, const std::string& what) {
  RINGC_TRY(copy_dir(from, to, what, "", 0));
  if (keep_root_mode) return outcome::success();
  struct stat st;
  if (::fstat(from, &st) < 0) return fail(errno, what, "/");
  return copy_attrs(to, "", st, what, "/");
}

}  // namespace ringc
