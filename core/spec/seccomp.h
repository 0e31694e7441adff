// linux.seccomp: the profile as parsed from config.json, and its filter,
// built with libseccomp in the container's init.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/error.h"

namespace ringc {

enum class SeccompAction : uint8_t {
  kill_thread,  // SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD
  kill_process,
  trap,
  errno_ret,
  trace,
  allow,
  log,
  notify,  // SCMP_ACT_NOTIFY: the syscall waits for the seccomp agent's answer
};

enum class SeccompOp : uint8_t { ne, lt, le, eq, ge, gt, masked_eq };

struct SeccompArg {
  uint32_t index = 0;
  uint64_t value = 0, value_two = 0;
  SeccompOp op = SeccompOp::eq;
};

struct SeccompRule {
  std::vector<std::string> names;
  SeccompAction action = SeccompAction::allow;
  uint32_t errno_ret = 1;  // EPERM unless errnoRet says otherwise
  std::vector<SeccompArg> args;
};

struct Seccomp {
  SeccompAction default_action = SeccompAction::allow;
  uint32_t default_errno = 1;
  std::vector<std::string> architectures;  // libseccomp's names: "x86_64", "x86"
  bool flag_tsync = false, flag_log = false, flag_spec_allow = false;
  std::vector<SeccompRule> syscalls;
  // The seccomp agent (runc's protocol, docs/seccomp-notify.md): a unix
  // socket ("@name": abstract) that gets the listener fd of every process
  // started under this profile, with the state; only used when a rule
  // notifies.
  std::string listener_path, listener_metadata;
  bool notifies() const;
};

// Names as config.json spells them, for parsing and for `ringc features`.
template <class T>
struct SeccompName {
  std::string_view name;
  T value;
};
inline constexpr SeccompName<SeccompAction> kSeccompActions[] = {
    {"SCMP_ACT_KILL", SeccompAction::kill_thread},
    {"SCMP_ACT_KILL_PROCESS", SeccompAction::kill_process},
    {"SCMP_ACT_KILL_THREAD", SeccompAction::kill_thread},
    {"SCMP_ACT_TRAP", SeccompAction::trap},
    {"SCMP_ACT_ERRNO", SeccompAction::errno_ret},
    {"SCMP_ACT_TRACE", SeccompAction::trace},
    {"SCMP_ACT_ALLOW", SeccompAction::allow},
    {"SCMP_ACT_LOG", SeccompAction::log},
    {"SCMP_ACT_NOTIFY", SeccompAction::notify}};
inline constexpr SeccompName<SeccompOp> kSeccompOps[] = {
    {"SCMP_CMP_NE", SeccompOp::ne},
    {"SCMP_CMP_LT", SeccompOp::lt},
    {"SCMP_CMP_LE", SeccompOp::le},
    {"SCMP_CMP_EQ", SeccompOp::eq},
    {"SCMP_CMP_GE", SeccompOp::ge},
    {"SCMP_CMP_GT", SeccompOp::gt},
    {"SCMP_CMP_MASKED_EQ", SeccompOp::masked_eq}};
inline constexpr std::string_view kSeccompFlags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"};
// SCMP_ARCH_<X>; libseccomp's name for each is <x> in lower case.
inline constexpr std::string_view kSeccompArches[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"};

// A filter as the kernel takes it, in memory of the caller's (the init's
// stack): loaded with one system call and no allocation, so that nothing
// the init does between `start` and its exec takes a lock of malloc's
// (an init cloned in its engine's memory, core/spawn/shared_clone.h).
struct SeccompProgram {
  sock_filter insns[BPF_MAXINSNS];
  uint16_t len = 0;
  unsigned flags = 0;  // SECCOMP_FILTER_FLAG_*
  explicit operator bool() const { return len > 0; }
  // seccomp(SECCOMP_SET_MODE_FILTER): 0 or -errno.
  int load() const;
};

// A compiled filter, owned. Built before the init reports ready (so a
// profile libseccomp refuses fails create), loaded as late as the
// process's privileges allow.
class SeccompFilter {
 public:
  SeccompFilter() = default;
  SeccompFilter(SeccompFilter&& o) noexcept
      : skipped(o.skipped), ctx_(o.ctx_), enosys_above_(o.enosys_above_), flags_(o.flags_) {
    o.ctx_ = nullptr;
    notifies_ = o.notifies_;
  }
  SeccompFilter& operator=(SeccompFilter&& o) noexcept {
    std::swap(ctx_, o.ctx_);
    skipped = o.skipped;
    enosys_above_ = o.enosys_above_;
    flags_ = o.flags_;
    notifies_ = o.notifies_;
    return *this;
  }
  ~SeccompFilter();
  explicit operator bool() const { return ctx_ != nullptr; }
  // Loads the filter into this process: its listener fd (for the seccomp
  // agent) when a rule notifies, else -1.
  Result<int> load() const;
  // The program load() would load, into out (not for one that notifies:
  // its listener comes from libseccomp's load).
  Result<void> compile(SeccompProgram& out) const;
  bool notifies() const { return notifies_; }

  // Unknown syscall names are skipped, as runc does; their count is kept
  // for --debug.
  static Result<SeccompFilter> build(const Seccomp& s);
  int skipped = 0;
  // Native syscalls above this number, newer than all the profile names,
  // get ENOSYS rather than the default action, so that libc falls back
  // (clone3 to clone, faccessat2 to faccessat), as runc's stub does; -1
  // when the default allows or already says ENOSYS.
  int enosys_above() const { return enosys_above_; }

 private:
  // program(), loaded with seccomp(2) (and a listener when it notifies).
  Result<int> load_program() const;
  // libseccomp's program, with the ENOSYS stub in front when there is one.
  Result<std::vector<sock_filter>> program() const;
  void* ctx_ = nullptr;
  bool notifies_ = false;
  int enosys_above_ = -1;
  unsigned flags_ = 0;  // SECCOMP_FILTER_FLAG_*, for the stubbed load
};

}  // namespace ringc
