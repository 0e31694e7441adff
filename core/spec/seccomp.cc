// The seccomp filter through libseccomp, in the container's init.
#include "core/spec/seccomp.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <vector>

#include "core/base/sys.h"

namespace ringc {

namespace {
uint32_t action(SeccompAction a, uint32_t err) {
  switch (a) {
    case SeccompAction::kill_thread:
      return SCMP_ACT_KILL_THREAD;
    case SeccompAction::kill_process:
      return SCMP_ACT_KILL_PROCESS;
    case SeccompAction::trap:
      return SCMP_ACT_TRAP;
    case SeccompAction::errno_ret:
      return SCMP_ACT_ERRNO(err);
    case SeccompAction::trace:
      return SCMP_ACT_TRACE(err);
    case SeccompAction::allow:
      return SCMP_ACT_ALLOW;
    case SeccompAction::log:
      return SCMP_ACT_LOG;
    case SeccompAction::notify:
      return SCMP_ACT_NOTIFY;
  }
  return SCMP_ACT_KILL_PROCESS;
}

scmp_compare op(SeccompOp o) {
  switch (o) {
    case SeccompOp::ne:
      return SCMP_CMP_NE;
    case SeccompOp::lt:
      return SCMP_CMP_LT;
    case SeccompOp::le:
      return SCMP_CMP_LE;
    case SeccompOp::eq:
      return SCMP_CMP_EQ;
    case SeccompOp::ge:
      return SCMP_CMP_GE;
    case SeccompOp::gt:
      return SCMP_CMP_GT;
    case SeccompOp::masked_eq:
      return SCMP_CMP_MASKED_EQ;
  }
  return SCMP_CMP_EQ;
}

scmp_arg_cmp cmp(const SeccompArg& a) {
  return {a.index, op(a.op), a.value, a.value_two};
}

// A rule whose conditions test one argument twice cannot be one libseccomp
// rule; like runc, each condition then becomes a rule of its own (any
// of them matches).
bool repeats_an_index(const std::vector<SeccompArg>& args) {
  unsigned seen = 0;
  for (auto& a : args) {
    if (seen & (1u << a.index)) return true;
    seen |= 1u << a.index;
  }
  return false;
}
}  // namespace

SeccompFilter::~SeccompFilter() {
  if (ctx_) seccomp_release(ctx_);
}

Result<SeccompFilter> SeccompFilter::build(const Seccomp& s) {
  SeccompFilter f;
  uint32_t def = action(s.default_action, s.default_errno);
  f.ctx_ = seccomp_init(def);
  if (!f.ctx_) return ringc_error(Errc::bad_spec, "seccomp: libseccomp could not start a filter");
  // ringc sets no_new_privs itself when the config asks for it.
  if (int r = seccomp_attr_set(f.ctx_, SCMP_FLTATR_CTL_NNP, 0); r < 0)
    return neg_error(r, "seccomp: clear the no_new_privs attribute");
  for (auto& name : s.architectures) {
    uint32_t arch = seccomp_arch_resolve_name(name.c_str());
    if (arch == 0) continue;  // libseccomp knows it by no name: nothing to filter
    int r = seccomp_arch_add(f.ctx_, arch);
    if (r < 0 && r != -EEXIST) return neg_error(r, "seccomp: add architecture " + name);
  }
  struct {
    bool on;
    scmp_filter_attr attr;
    const char* name;
  } flags[] = {{s.flag_tsync, SCMP_FLTATR_CTL_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"},
               {s.flag_log, SCMP_FLTATR_CTL_LOG, "SECCOMP_FILTER_FLAG_LOG"},
               {s.flag_spec_allow, SCMP_FLTATR_CTL_SSB, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}};
  for (auto& fl : flags)
    if (fl.on)
      if (int r = seccomp_attr_set(f.ctx_, fl.attr, 1); r < 0)
        return neg_error(r, fmt::format("seccomp: flag {}", fl.name));
  f.flags_ = (s.flag_tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0) |
             (s.flag_log ? SECCOMP_FILTER_FLAG_LOG : 0) |
             (s.flag_spec_allow ? SECCOMP_FILTER_FLAG_SPEC_ALLOW : 0);
  int newest = -1;
  for (auto& rule : s.syscalls)
    for (auto& name : rule.names)
      newest = std::max(newest, seccomp_syscall_resolve_name(name.c_str()));
  if (def != SCMP_ACT_ALLOW && def != SCMP_ACT_LOG && def != SCMP_ACT_ERRNO(ENOSYS))
    f.enosys_above_ = newest;
  size_t i = 0;
  for (auto& rule : s.syscalls) {
    uint32_t act = action(rule.action, rule.errno_ret);
    ++i;
    // libseccomp refuses a rule that only repeats the default.
    if (act == def) continue;
    for (auto& name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        ++f.skipped;
        continue;
      }
      auto fail = [&](int r) {
        return neg_error(
            r, fmt::format("seccomp: /linux/seccomp/syscalls/{}: rule for {}", i - 1, name));
      };
      if (rule.action == SeccompAction::notify && !f.notifies_) {
        // Level 5: the kernel's listener (5.0) and libseccomp's (2.5);
        // with TSYNC also the kernel's TSYNC_ESRCH (5.7), level 6.
        int level = int(seccomp_api_get());
        if (level < (s.flag_tsync ? 6 : 5))
          return ringc_error(
              Errc::bad_spec,
              fmt::format("seccomp: SCMP_ACT_NOTIFY needs seccomp API level {}, this host has {} "
                          "(Linux 5.0, 5.7 with SECCOMP_FILTER_FLAG_TSYNC; libseccomp 2.5)",
                          s.flag_tsync ? 6 : 5, level));
        f.notifies_ = true;
      }
      std::vector<scmp_arg_cmp> conds;
      for (auto& a : rule.args) conds.push_back(cmp(a));
      if (!repeats_an_index(rule.args)) {
        if (int r = seccomp_rule_add_array(f.ctx_, act, nr, conds.size(), conds.data()); r < 0)
          return fail(r);
        continue;
      }
      for (auto& c : conds)
        if (int r = seccomp_rule_add_array(f.ctx_, act, nr, 1, &c); r < 0) return fail(r);
    }
  }
  return f;
}

Result<int> SeccompFilter::load() const {
  // One program for every filter but a notifying one without the stub:
  // the one compile() gives the init to load after `start`.
  if (enosys_above_ >= 0 || !notifies_) return load_program();
  if (int r = seccomp_load(ctx_); r < 0) return neg_error(r, "seccomp: load the filter");
  // libseccomp asked for the listener when it saw a notify rule.
  int fd = seccomp_notify_fd(ctx_);
  if (fd < 0) return neg_error(fd, "seccomp: the filter's listener");
  return fd;
}

// libseccomp's program, with a few instructions in front where the
// profile has a newest syscall: on the native architecture, a syscall
// number above the newest the profile names (and not an x32 one) returns
// ENOSYS. Jumps in libseccomp's program are relative, so it runs
// unchanged after them.
Result<std::vector<sock_filter>> SeccompFilter::program() const {
  sys::UniqueFd mem(::memfd_create("ringc-seccomp", MFD_CLOEXEC));
  if (mem.get() < 0) return sys_error(errno, "seccomp: memfd for the filter");
  if (int r = seccomp_export_bpf(ctx_, mem.get()); r < 0)
    return neg_error(r, "seccomp: export the filter");
  off_t size = ::lseek(mem.get(), 0, SEEK_END);
  if (size <= 0 || size % sizeof(sock_filter)) return sys_error(EINVAL, "seccomp: exported filter");
  std::vector<sock_filter> prog;
  if (enosys_above_ >= 0) {
    constexpr uint32_t kX32 = 0x40000000;
    const uint32_t arch = seccomp_arch_native();
    prog = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kX32, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, uint32_t(enosys_above_), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    };
  }
  size_t stub = prog.size();
  prog.resize(stub + size_t(size) / sizeof(sock_filter));
  if (::pread(mem.get(), prog.data() + stub, size_t(size), 0) != size)
    return sys_error(errno, "seccomp: read the exported filter");
  if (prog.size() > BPF_MAXINSNS)
    return sys_error(E2BIG, stub ? "seccomp: filter with its ENOSYS stub" : "seccomp: filter");
  return prog;
}

Result<int> SeccompFilter::load_program() const {
  RINGC_TRY(auto prog, program());
  sock_fprog fprog{uint16_t(prog.size()), prog.data()};
  unsigned flags = flags_;
  if (notifies_)
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER |
             (flags & SECCOMP_FILTER_FLAG_TSYNC ? SECCOMP_FILTER_FLAG_TSYNC_ESRCH : 0);
  int r = sys::seccomp_set_filter(flags, &fprog);
  if (r < 0) return sys_error(-r, "seccomp: load the filter");
  return notifies_ ? r : -1;  // with NEW_LISTENER, the listener's fd
}

Result<void> SeccompFilter::compile(SeccompProgram& out) const {
  if (notifies_)
    return sys_error(EINVAL, "seccomp: a filter that notifies is loaded by libseccomp");
  RINGC_TRY(auto prog, program());
  std::copy(prog.begin(), prog.end(), out.insns);
  out.len = uint16_t(prog.size());
  out.flags = flags_;
  return outcome::success();
}

int SeccompProgram::load() const {
  sock_fprog fprog{len, const_cast<sock_filter*>(insns)};
  return sys::seccomp_set_filter(flags, &fprog);
}

}  // namespace ringc
