// The reactor's ring: one per process, single issuer.
//
// The interface is four verbs (sqe, submit, reap, wait) plus a probe; the
// operations themselves are free functions in ring/ops.h.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include <boost/outcome.hpp>

#include "ring/token.h"

namespace ringc::ring {

namespace outcome = BOOST_OUTCOME_V2_NAMESPACE;
template <class T>
using Result = outcome::result<T, std::error_code, outcome::policy::terminate>;

// Opcodes that liburing 2.3's header does not name.
inline constexpr uint8_t kOpWaitid = 50;

// Direct descriptors (a sparse table, register_files()): a chain of
// linked file operations opens into one of them and writes through it.
inline constexpr unsigned kFixedFiles = 256;

// Which backend runs the ring's operations: io_uring wherever it is
// allowed and has every opcode ringc uses, else epoll (ring/poller.h).
enum class Backend : uint8_t { kIoUring, kEpoll };

struct Features {
  Backend backend = Backend::kIoUring;
  // Why the epoll backend runs: io_uring_setup's errno (ENOSYS, EPERM…),
  // the first opcode the kernel lacks, or RINGC_BACKEND=epoll.
  int setup_errno = 0;
  int missing_opcode = -1;
  bool forced = false;
  bool waitid = false;         // IORING_OP_WAITID (6.7+)
  bool fixed_files = false;    // register_files() took (5.19+)
  bool single_issuer = false;  // SETUP_SINGLE_ISSUER | DEFER_TASKRUN took
};

struct Completion {
  uint64_t user_data;
  int32_t res;
  uint32_t flags;
};

class Poller;

// "io_uring", or "epoll (io_uring_setup: Operation not permitted)".
std::string describe(const Features& f);

class Ring {
 public:
  Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;
  ~Ring();

  // Sets the ring up, preferring SINGLE_ISSUER|DEFER_TASKRUN, and probes
  // opcodes. Where io_uring is refused or lacks an opcode ringc uses, the
  // epoll backend takes over (not when RINGC_BACKEND=io_uring asks for
  // io_uring only); RINGC_BACKEND=epoll chooses it outright.
  [[nodiscard]] Result<void> init(unsigned entries);

  // The epoll backend, or nullptr under io_uring: the operation helpers
  // (ring/ops.h) hand it their operations.
  Poller* poller() { return poller_.get(); }

  // A free submission entry (io_uring only: nullptr under epoll). A full queue is normal: it is
  // flushed to the kernel and the entry taken again; nullptr only if the kernel refuses.
  io_uring_sqe* sqe();
  // Makes room for n entries in a row (an operation and its linked timeout
  // must not be split by a flush). False only if the kernel refuses.
  bool reserve(unsigned n);
  // Registers the sparse table of kFixedFiles direct descriptors (once;
  // a one-shot command's ring never pays for it). False where the kernel
  // refuses (before 5.19).
  bool register_files();
  // Hands queued entries to the kernel without waiting.
  Result<int> submit();
  // Submits and waits until at least one completion is there (or the
  // kernel is interrupted by a signal, which returns 0 reaped).
  Result<void> wait();
  // Submits, then waits for the completion carrying user_data and returns
  // it. Other completions reaped meanwhile are dropped: for one-shot
  // command-line operations that own the ring, not for the engine loop.
  Result<Completion> await(uint64_t user_data);
  // Moves up to max completions out of the ring into out; returns how many.
  unsigned reap(Completion* out, unsigned max);

  const Features& features() const { return features_; }
  // Submission-queue-full events seen (for engine stats).
  uint64_t queue_full_count() const { return queue_full_; }
  io_uring* raw() { return &ring_; }

 private:
  [[nodiscard]] Result<void> use_epoll();

  io_uring ring_{};
  bool ready_ = false;
  std::unique_ptr<Poller> poller_;
  Features features_;
  uint64_t queue_full_ = 0;
};

}  // namespace ringc::ring
