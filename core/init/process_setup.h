// In-child process attributes: rlimits, user and groups, capabilities,
// no_new_privs, and finding the program to exec.
#pragma once

#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "core/base/error.h"
#include "core/spec/seccomp.h"
#include "core/spec/spec.h"

namespace ringc {

Result<void> apply_rlimits(const Process& p);
// The highest capability number the kernel knows, read once: a launch
// (prepare) reads it in the parent, so that each init is spared the read.
int last_cap();
Result<void> apply_oom_score_adj(const Process& p);
// Bounding set, then uid/gid/groups (keeping caps across setuid), then the
// remaining capability sets and the ambient ones.
Result<void> apply_identity(const Process& p);
// process.cwd entered before apply_identity and, where that is refused,
// again after it (runc's order).
Result<void> enter_cwd_and_identity(const Process& p);
// Loads the filter; a listener it makes goes to the runtime on `sock`
// (hand_over_listener), for the seccomp agent.
Result<void> load_seccomp(const SeccompFilter& filter, int sock);
// args[0] resolved against PATH from the process env (like execvp, but the
// error text says which: "executable file not found in $PATH").
Result<std::string> find_executable(const Process& p);
// argv/envp for execve: pointers into v (and more), null-terminated.
std::vector<char*> cstrings(const std::vector<std::string>& v,
                            const std::vector<std::string>& more = {});
// The same, NULL-terminated, in N pointers of its own where they fit (an
// init's argv and environment, held across its exec: not on the heap).
// An init's, on its stack: fits() says whether a process's do; one whose
// do not is cloned by fork (spawn.cc: the heap's copy would outlive the
// exec of an init in its engine's memory).
inline constexpr size_t kExecStringsOnStack = 2048;
inline bool exec_strings_fit(const Process& p, size_t more = 0) {
  return p.args.size() + more < kExecStringsOnStack && p.env.size() + more < kExecStringsOnStack;
}
template <size_t N>
class ExecStrings {
 public:
  ExecStrings(const std::vector<std::string>& v, const std::vector<std::string>& more = {}) {
    if (v.size() + more.size() < N) {
      size_t n = 0;
      for (auto& s : v) inline_[n++] = const_cast<char*>(s.c_str());
      for (auto& s : more) inline_[n++] = const_cast<char*>(s.c_str());
      inline_[n] = nullptr;
    } else {
      heap_ = cstrings(v, more);
    }
  }
  char** data() { return heap_.empty() ? inline_ : heap_.data(); }

 private:
  char* inline_[N];
  std::vector<char*> heap_;
};
// Fds 3 .. 3+n-1 reach the program; every other fd from 3 up is closed at
// exec. `ours` (ringc's own fds) must not be in that range.
Result<void> pass_fds(unsigned n, std::initializer_list<int> ours);
// A daemon client's fds (fds), moved to first, first+1, ...: its stdio to
// 0..2 and its preserved fds to 3.., or those alone from 3. Fds of our
// own in that range (*ours) are moved above it first.
Result<void> place_fds(std::span<const int> fds, int first, const std::vector<int*>& ours);
// Closes every fd from `first` up but `keep`: an init waiting for start
// holds none of its creator's fds (a reactor's other clients' pipes, say).
void close_fds_from(int first, std::vector<int> keep);

}  // namespace ringc

namespace ringc {

// scheduler (sched_setattr) and ioPriority (ioprio_set); before the
// identity drops the capabilities a realtime policy needs.
Result<void> apply_scheduling(const Process& p);
// linux.personality.
Result<void> apply_personality(const Linux& l);
// The AppArmor profile (checked enabled by lsm_check) and the SELinux
// label for the coming execve.
Result<void> apply_lsm_labels(const Process& p);
// In the parent, before anything is made: a profile or label the host
// cannot apply. SELinux labels on a host without SELinux are ignored, as
// runc ignores them; an AppArmor profile on a host without AppArmor is an
// error rather than a container that silently runs unconfined.
Result<void> lsm_check(const Spec& s);
// linux.timeOffsets, right after the time namespace is unshared.
Result<void> write_time_offsets(const Linux& l);

}  // namespace ringc
