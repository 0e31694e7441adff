#include "core/spawn/shared_clone.h"

#include <linux/futex.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ringc {

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)

// clone3 whose child starts on the stack the arguments give: it calls
// fn(arg) there and exits with its result (it has no frame to return to).
// rdi: args, rsi: size, rdx: fn, rcx: arg; r8 and r9 survive the syscall.
extern "C" long ringc_clone3_run(clone_args* args, size_t size, int (*fn)(void*), void* arg);
asm(R"(
  .text
  .globl ringc_clone3_run
  .type ringc_clone3_run, @function
ringc_clone3_run:
  mov %rdx, %r8
  mov %rcx, %r9
  mov $435, %eax
  syscall
  test %rax, %rax
  jz 1f
  ret
1:
  xor %ebp, %ebp
  mov %r9, %rdi
  call *%r8
  mov %eax, %edi
  mov $60, %eax
  syscall
  hlt
  .size ringc_clone3_run, .-ringc_clone3_run
)");

namespace {
constexpr unsigned kMaxDonors = 256;
constexpr size_t kChildStack = size_t{1} << 20;  // mapped as touched

struct Donor {
  pthread_t thread{};
  void* tp = nullptr;              // its thread pointer, once it runs
  std::atomic<uint32_t> ready{0};  // tp is set
  char* stack = nullptr;           // the child's, kChildStack with a guard page below
  bool lent = false, retired = false;
  void* arg = nullptr;  // what its child reads, until given back
  void (*release)(void*) = nullptr;
};

std::vector<Donor*> donors;
DonorCounts counts;
uint32_t never = 0;  // the word donors wait on: nobody wakes them

// A donor's life: publish its thread pointer, then wait for good with every
// signal blocked, touching nothing a borrowing child uses.
void* donor_main(void* arg) {
  auto* d = static_cast<Donor*>(arg);
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  d->tp = __builtin_thread_pointer();
  d->ready.store(1, std::memory_order_release);
  syscall(SYS_futex, &d->ready, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  for (;;) syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  return nullptr;
}

Donor* make_donor() {
  auto* d = new Donor;
  void* m = ::mmap(nullptr, kChildStack + 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (m == MAP_FAILED) {
    delete d;
    return nullptr;
  }
  ::mprotect(m, 4096, PROT_NONE);  // a guard page: an overflow faults
  d->stack = static_cast<char*>(m) + 4096;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 << 10);
  int e = pthread_create(&d->thread, &attr, donor_main, d);
  pthread_attr_destroy(&attr);
  if (e != 0) {
    ::munmap(m, kChildStack + 4096);
    delete d;
    return nullptr;
  }
  // Its thread pointer is what a child borrows: wait until it is set (the
  // thread's first steps, once).
  while (!d->ready.load(std::memory_order_acquire))
    syscall(SYS_futex, &d->ready, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  return d;
}
}  // namespace

namespace {
int state = -1;  // not yet asked, off (0), on (1)
}  // namespace

bool shared_clone_enabled() {
  if (state < 0) {
    const char* env = std::getenv("RINGC_SHARED_CLONE");
    state = (env && std::strcmp(env, "0") == 0) || ::geteuid() != 0 ? 0 : 1;
    // Each donor's child its own malloc arena: one killed inside malloc
    // holds only the lock of an arena nobody else uses.
    if (state) mallopt(M_ARENA_MAX, int(kMaxDonors) + 64);
  }
  return state == 1;
}

void shared_clone_refused() {
  state = 0;
}

int lend_donor() {
  for (size_t i = 0; i < donors.size(); ++i) {
    Donor* d = donors[i];
    if (!d->lent && !d->retired) {
      d->lent = true;
      ++counts.lent;
      return int(i);
    }
  }
  if (donors.size() >= kMaxDonors) return -1;
  Donor* d = make_donor();
  if (!d) return -1;
  d->lent = true;
  donors.push_back(d);
  ++counts.made;
  ++counts.lent;
  return int(donors.size() - 1);
}

pid_t clone_shared(int i, clone_args& args, int (*fn)(void*), void* arg, void (*release)(void*)) {
  Donor* d = donors[size_t(i)];
  args.flags |= CLONE_VM | CLONE_SETTLS;
  args.stack = reinterpret_cast<uint64_t>(d->stack);
  args.stack_size = kChildStack;
  args.tls = reinterpret_cast<uint64_t>(d->tp);
  long r = ringc_clone3_run(&args, sizeof args, fn, arg);
  if (r > 0) {
    d->arg = arg;
    d->release = release;
  }
  return pid_t(r);
}

void give_back_donor(int i, bool reuse) {
  if (i < 0 || size_t(i) >= donors.size()) return;
  Donor* d = donors[size_t(i)];
  if (!d->lent) return;
  d->lent = false;
  --counts.lent;
  if (d->release) d->release(d->arg);
  d->arg = nullptr;
  d->release = nullptr;
  if (!reuse) {
    d->retired = true;  // its thread waits on, its arena untouched
    ++counts.retired;
  }
}

DonorCounts donor_counts() {
  return counts;
}

#else

bool shared_clone_enabled() {
  return false;
}
void shared_clone_refused() {}
int lend_donor() {
  return -1;
}
pid_t clone_shared(int, clone_args&, int (*)(void*), void*, void (*)(void*)) {
  return -ENOSYS;
}
void give_back_donor(int, bool) {}
DonorCounts donor_counts() {
  return {};
}

#endif

}  // namespace ringc
