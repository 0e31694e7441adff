// Inits cloned into the engine's own address space (CLONE_VM).
//
// A clone3 without CLONE_VM copies the engine's page tables, write-protects
// its pages (each then copied at its next write) and leaves the copy for
// the init's exec to tear down. On a virtualised host, where every
// page-table write is a trap, that is most of what a launch costs: a bare
// container (namespaces, pivot_root, exec of `true`) ran at 176-211/s
// launched by fork and at 549-622/s sharing the launcher's memory, on a
// 2-core PVM guest (docs/pools.md).
//
// With CLONE_VM the init runs in the engine's memory until its exec, on a
// stack of its own and with the thread-local storage of a donor: a thread
// of the engine that only waits, so that the init's errno, malloc caches
// and malloc arena are the donor's, never the reactor's. A donor is lent
// until its init has exec'd (the exec leaves the shared memory) or exited;
// one whose init was killed before its ready, perhaps inside malloc with
// its arena's lock held, is never lent again. From its ready to its exec
// an init allocates nothing (core/init/child.cc: the seccomp program
// compiled onto its stack, argv and env there too, the start's stdio
// taken into a fixed array, errors written with one writev; an init with
// startContainer hooks, which run in between, is cloned by fork): killed
// anywhere there, by the engine or from outside, it holds no lock.
//
// The init frees what it allocated before its exec (core/init/child.cc),
// so nothing of it stays behind in the donor's arena; the parent keeps
// everything the child reads alive and unchanged until then. Not for a
// seccomp filter that notifies (libseccomp keeps its listener in a
// global) or a user namespace (spawn.cc).
//
// For engines that outlive their inits' exec (batch, daemon), run as root,
// on x86-64 (the clone3 entry is assembly), never under sanitizers;
// RINGC_SHARED_CLONE=0 turns it off.
#pragma once

#include <linux/sched.h>
#include <sys/types.h>

namespace ringc {

// Whether this build and environment make shared clones.
bool shared_clone_enabled();

// clone3 with CLONE_VM was refused here (no clone3: ENOSYS, a seccomp
// profile: EPERM, an older kernel: EINVAL): no more shared clones.
void shared_clone_refused();

// Lends a donor (made on first need, up to a limit): its index, or -1
// when none is free. One thread only (the reactor's).
int lend_donor();

// clone3 with CLONE_VM and CLONE_SETTLS added to args.flags, on donor d's
// stack and thread pointer. The child runs fn(arg) and exits with its
// result; the caller gets the pid, or -errno. On success the donor keeps
// arg (what the child reads) until it is given back, then release(arg).
pid_t clone_shared(int d, clone_args& args, int (*fn)(void*), void* arg, void (*release)(void*));

// Donor d's child no longer runs in this address space: it exec'd, or
// exited (reuse), or may have died holding a lock (!reuse: retired). A
// donor whose clone failed is given back with reuse.
void give_back_donor(int d, bool reuse);

// How many donors are lent and made (for stats and tests).
struct DonorCounts {
  unsigned lent = 0, made = 0, retired = 0;
};
DonorCounts donor_counts();

}  // namespace ringc
