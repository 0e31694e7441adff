// OCI hooks: the six kinds, run at the points runtime-spec v1.3 fixes,
// each given the container's state JSON on stdin.
//
//   prestart, createRuntime  the runtime, during create, before pivot_root
//   createContainer          the init, in the container's namespaces, before pivot_root
//   startContainer           the init, after `start`, before the program's execve
//   poststart                the runtime, after the program started (failure: the
//                            container is stopped and start fails)
//   poststop                 the runtime, after delete (failure: a warning)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/error.h"
#include "core/spec/hook_spec.h"
#include "ring/ring.h"

namespace ringc {

// The state JSON a hook reads: ociVersion, id, status, pid, bundle,
// annotations.
std::string hook_state(std::string_view oci_version, std::string_view id, std::string_view status,
                       pid_t pid, std::string_view bundle,
                       const std::vector<std::pair<std::string, std::string>>& annotations);

// What a seccomp agent reads with a process's listener (the runtime-spec's
// ContainerProcessState): ociVersion, fds ["seccompFd"], the process's
// pid, the profile's listenerMetadata, and the container's state (as
// hook_state).
std::string container_process_state(std::string_view oci_version, pid_t pid,
                                    std::string_view metadata, std::string_view state);

// The pieces of one hook's run, for callers that wait on their own (the
// engine's reactor): start_hook clones it with the state on its stdin and
// returns its pidfd; hook_result judges its exit code (or its timeout),
// naming the hook; hook_timeout is its deadline (a day stands for none).
// cwd: where it runs (nullptr: the caller's directory).
Result<int> start_hook(const Hook& h, const std::string& state, const char* cwd = nullptr);
Result<void> hook_result(HookKind k, size_t index, const Hook& h, int code, bool timed_out);
std::chrono::milliseconds hook_timeout(const Hook& h);

// Runs the hooks of kind k one after another in the runtime: each exit is
// a completion on the ring with the hook's timeout linked; an overrunning
// hook is killed. Stops at the first failure, which names the hook.
Result<void> run_hooks(ring::Ring& r, const Hooks& h, HookKind k, const std::string& state);

// The same in the container's init, which has no ring: it waits on the
// hook's pidfd with poll and the same timeout.
Result<void> run_hooks_in_init(const Hooks& h, HookKind k, const std::string& state,
                               const char* cwd = nullptr);

}  // namespace ringc
