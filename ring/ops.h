// Operation helpers: each prepares one SQE (or a linked pair) on the ring.
// They return false only when no SQE could be had at all.
#pragma once

#include <linux/time_types.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <chrono>

#include "ring/ring.h"

namespace ringc::ring {

// Waits for the exit of the process behind pidfd. With IORING_OP_WAITID
// (for a child of this process) info is filled and the child reaped (left
// a zombie with keep_zombie, for the caller to reap once it has recorded
// the status); else the pidfd is polled and the caller reads the status
// with waitid(P_PIDFD, WNOHANG).
bool prep_exit_wait(Ring& r, uint64_t user_data, int pidfd, bool child, siginfo_t* info,
                    bool keep_zombie = false);

// Waits for the exit of our own child `pid` with IORING_OP_WAITID (P_PID)
// and reaps it (or with keep_zombie leaves that to the caller): no pidfd
// held. Needs features().waitid. Until the completion is handled the
// zombie keeps the pid from being reused.
bool prep_child_exit_wait(Ring& r, uint64_t user_data, pid_t pid, siginfo_t* info,
                          bool keep_zombie = false);

bool prep_poll_in(Ring& r, uint64_t user_data, int fd);
bool prep_poll(Ring& r, uint64_t user_data, int fd, unsigned events);
bool prep_read(Ring& r, uint64_t user_data, int fd, void* buf, unsigned len);
bool prep_write(Ring& r, uint64_t user_data, int fd, const void* buf, unsigned len);
// send(2) on a socket with MSG_NOSIGNAL: a peer that went away is -EPIPE,
// not a SIGPIPE for the whole process.
bool prep_send(Ring& r, uint64_t user_data, int fd, const void* buf, unsigned len);
// unlinkat(AT_FDCWD, path, flags) (AT_REMOVEDIR for rmdir), run by the
// kernel's io-wq workers. path is copied at submission; `hard_link` chains
// the next SQE after this one whatever its result.
bool prep_unlink(Ring& r, uint64_t user_data, const char* path, int flags, bool hard_link = false);
// mkdirat(AT_FDCWD, path, mode), run by io-wq. path must live until the
// SQE is submitted (the kernel copies it then).
bool prep_mkdir(Ring& r, uint64_t user_data, const char* path, mode_t mode);
bool prep_accept(Ring& r, uint64_t user_data, int listen_fd);
// fsync(fd), run by io-wq; fd stays open until the completion.
bool prep_fsync(Ring& r, uint64_t user_data, int fd);
// A file replaced atomically, as one chain of linked operations through
// direct descriptor `file` (< kFixedFiles; needs features().fixed_files):
// open `tmp` (created, truncated), write `len` bytes, with `durable` fsync
// it, close it, rename it over `path`; with `durable` also fsync `dir`
// (opened into the same descriptor; a direct descriptor takes no
// O_CLOEXEC: no process sees it). A failed step cancels the rest
// (-ECANCELED). Every operation completes with user_data: the number of
// them is returned (0: no room in the queue, nothing prepared). tmp,
// path, dir and buf live until the last completion.
unsigned prep_replace_file(Ring& r, uint64_t user_data, unsigned file, const char* tmp,
                           const char* path, const char* dir, const void* buf, unsigned len,
                           bool durable);
// recvmsg(fd, msg, flags): msg and what it points to live until completion.
bool prep_recvmsg(Ring& r, uint64_t user_data, int fd, msghdr* msg, unsigned flags);
bool prep_timeout(Ring& r, uint64_t user_data, __kernel_timespec* ts);
bool prep_cancel(Ring& r, uint64_t target_user_data);
// Cancels every request carrying user_data and returns once the kernel is
// done with them (IORING_REGISTER_SYNC_CANCEL): their buffers may be freed
// right after. Their completions (-ECANCELED) stay queued for whoever reaps
// next. False if the kernel lacks sync cancel (before 6.0) or refuses.
bool cancel_now(Ring& r, uint64_t user_data);

// Links a timeout to the SQE prepared just before: that operation is
// cancelled (res -ECANCELED) when ts passes. ts must outlive the submission;
// call r.reserve(2) before preparing the pair.
bool link_timeout(Ring& r, __kernel_timespec* ts);

__kernel_timespec to_timespec(std::chrono::nanoseconds d);

}  // namespace ringc::ring
