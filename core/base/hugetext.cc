#include "core/base/hugetext.h"

#include <link.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace ringc {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
// A sanitizer's shadow memory and interceptors are not for moving code
// under.
size_t text_on_huge_pages() {
  return 0;
}
#else
namespace {
constexpr uintptr_t kHuge = uintptr_t{2} << 20;
constexpr uintptr_t kPage = 4096;

// The executable's code segment, and where the next segment above it
// begins (the code may grow into the gap up to it, never over it).
struct Code {
  uintptr_t begin = 0, end = 0, next = UINTPTR_MAX;
};

int find_code(dl_phdr_info* info, size_t, void* data) {
  auto* c = static_cast<Code*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && !c->begin) {
      c->begin = info->dlpi_addr + ph.p_vaddr;
      c->end = c->begin + ph.p_memsz;
    }
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    uintptr_t at = info->dlpi_addr + ph.p_vaddr;
    if (ph.p_type == PT_LOAD && c->begin && at >= c->end && at < c->next) c->next = at;
  }
  return 1;  // the first object listed is the program itself
}

bool thp_allowed() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  return std::getline(f, line) && line.find("[never]") == std::string::npos;
}

std::string fmt_hex(uintptr_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lx", static_cast<unsigned long>(v));
  return buf;
}

// The bytes of huge pages in the mapping that starts at `start`, from
// /proc/self/smaps (the kernel may have given small pages instead).
size_t huge_bytes_at(uintptr_t start) {
  std::ifstream f("/proc/self/smaps");
  std::string line, head = fmt_hex(start) + "-";
  bool in = false;
  while (std::getline(f, line)) {
    if (line.rfind(head, 0) == 0) {
      in = true;
    } else if (in && line.rfind("AnonHugePages:", 0) == 0) {
      return size_t(std::strtoull(line.c_str() + 14, nullptr, 10)) << 10;
    }
  }
  return 0;
}

// Whether nothing is mapped in [from, to): the gap the code may grow
// into (the mremap would unmap whatever is there).
bool unmapped(uintptr_t from, uintptr_t to) {
  std::ifstream f("/proc/self/maps");
  std::string line;
  while (std::getline(f, line)) {
    char* end = nullptr;
    uintptr_t lo = std::strtoull(line.c_str(), &end, 16);
    uintptr_t hi = *end == '-' ? std::strtoull(end + 1, nullptr, 16) : 0;
    if (lo < to && hi > from) return false;
  }
  return true;
}

uintptr_t down(uintptr_t v, uintptr_t to) {
  return v & ~(to - 1);
}
uintptr_t up(uintptr_t v, uintptr_t to) {
  return down(v + to - 1, to);
}
}  // namespace

// Not inlined, and nothing after the mremap but returns: the instructions
// run across it are read from the copy, byte for byte the same.
__attribute__((noinline)) size_t text_on_huge_pages() {
  const char* env = std::getenv("RINGC_HUGETEXT");
  if ((env && std::strcmp(env, "0") == 0) || !thp_allowed()) return 0;
  Code c;
  dl_iterate_phdr(find_code, &c);
  if (!c.begin) return 0;
  uintptr_t a = down(c.begin, kPage);
  // Up to the next 2 MiB where the gap to the next segment allows: the
  // last huge page is then whole too.
  uintptr_t b = std::min(up(c.end, kHuge), down(c.next, kPage));
  if (b < up(c.end, kPage) || !unmapped(up(c.end, kPage), b)) b = up(c.end, kPage);
  size_t len = b - a;
  if (up(a, kHuge) + kHuge > b) return 0;  // not one whole huge page in it
  // A staging area at the same offset within a 2 MiB page as the code, so
  // that mremap moves whole huge pages.
  void* raw =
      ::mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return 0;
  uintptr_t r = reinterpret_cast<uintptr_t>(raw);
  uintptr_t tmp = down(r, kHuge) + (a & (kHuge - 1));
  if (tmp < r) tmp += kHuge;
  auto* stage = reinterpret_cast<void*>(tmp);
  if (::madvise(stage, len, MADV_HUGEPAGE) == 0) {
    std::memcpy(stage, reinterpret_cast<const void*>(a), c.end - a);
    // Where the kernel had no huge pages to give, small anonymous ones
    // would be copied at every clone: the code stays as mapped.
    size_t done = down(b, kHuge) - up(a, kHuge);
    if (huge_bytes_at(tmp) >= done && ::mprotect(stage, len, PROT_READ | PROT_EXEC) == 0 &&
        ::mremap(stage, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, reinterpret_cast<void*>(a)) !=
            MAP_FAILED) {
      // What is left of the staging area around the moved part.
      if (tmp > r) ::munmap(raw, tmp - r);
      uintptr_t tail = tmp + len, last = r + len + kHuge;
      if (tail < last) ::munmap(reinterpret_cast<void*>(tail), last - tail);
      return done;
    }
  }
  ::munmap(raw, len + kHuge);
  return 0;
}
#endif

}  // namespace ringc
