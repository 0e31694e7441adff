#include "core/engine/held_fds.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>

#include "core/base/sys.h"

namespace ringc {

namespace {
bool dev_null(const struct stat& st) {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}
}  // namespace

SharedFd HeldFds::hold(SharedFd fd) {
  struct stat st;
  if (!fd || fd->get() < 0 || ::fstat(fd->get(), &st) < 0) return fd;
  if (++holds_ % 1024 == 0) sweep();
  Inode key{st.st_dev, st.st_ino};
  prune(key);
  const int mode = ::fcntl(fd->get(), F_GETFL) & O_ACCMODE;
  auto& held = by_inode_[key];
  for (auto& w : held) {
    SharedFd other = w.lock();
    if (!other) continue;
    bool same = dev_null(st) ? (::fcntl(other->get(), F_GETFL) & O_ACCMODE) == mode
                             : sys::same_file(other->get(), fd->get()) == 1;
    if (same) return other;
  }
  held.push_back(fd);
  return fd;
}

void HeldFds::prune(Inode key) {
  auto it = by_inode_.find(key);
  if (it == by_inode_.end()) return;
  std::erase_if(it->second, [](auto& w) { return w.expired(); });
  if (it->second.empty()) by_inode_.erase(it);
}

size_t HeldFds::size() const {
  size_t n = 0;
  for (auto& [key, held] : by_inode_)
    n += size_t(std::count_if(held.begin(), held.end(), [](auto& w) { return !w.expired(); }));
  return n;
}

void HeldFds::sweep() {
  for (auto it = by_inode_.begin(); it != by_inode_.end();) {
    std::erase_if(it->second, [](auto& w) { return w.expired(); });
    it = it->second.empty() ? by_inode_.erase(it) : std::next(it);
  }
}

}  // namespace ringc
