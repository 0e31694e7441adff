#include "ring/ring.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "ring/poller.h"

namespace ringc::ring {

namespace {
std::error_code errc(int negative_errno) {
  return {-negative_errno, std::generic_category()};
}

// Every opcode the helpers in ops.h prepare, with the kernel that added
// it; the newest decides (MKDIRAT: 5.15).
struct Opcode {
  int op;
  const char* name;
  const char* kernel;
};
constexpr Opcode kNeeded[] = {
    {IORING_OP_POLL_ADD, "POLL_ADD", "5.1"},
    {IORING_OP_FSYNC, "FSYNC", "5.1"},
    {IORING_OP_TIMEOUT, "TIMEOUT", "5.4"},
    {IORING_OP_ACCEPT, "ACCEPT", "5.5"},
    {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL", "5.5"},
    {IORING_OP_LINK_TIMEOUT, "LINK_TIMEOUT", "5.5"},
    {IORING_OP_RECVMSG, "RECVMSG", "5.3"},
    {IORING_OP_READ, "READ", "5.6"},
    {IORING_OP_WRITE, "WRITE", "5.6"},
    {IORING_OP_SEND, "SEND", "5.6"},
    {IORING_OP_OPENAT, "OPENAT", "5.6"},
    {IORING_OP_CLOSE, "CLOSE", "5.6"},
    {IORING_OP_UNLINKAT, "UNLINKAT", "5.11"},
    {IORING_OP_RENAMEAT, "RENAMEAT", "5.11"},
    {IORING_OP_MKDIRAT, "MKDIRAT", "5.15"},
};

// The first opcode of kNeeded the ring lacks, or -1.
int first_missing(io_uring* ring) {
  io_uring_probe* probe = io_uring_get_probe_ring(ring);
  if (!probe) return IORING_OP_READ;  // no probe before 5.6: READ is missing too
  int missing = -1;
  for (const Opcode& o : kNeeded)
    if (!io_uring_opcode_supported(probe, o.op)) {
      missing = o.op;
      break;
    }
  io_uring_free_probe(probe);
  return missing;
}
}  // namespace

std::string describe(const Features& f) {
  if (f.backend == Backend::kIoUring) return "io_uring";
  if (f.forced) return "epoll (RINGC_BACKEND=epoll)";
  if (f.setup_errno)
    return std::string("epoll (io_uring_setup: ") + std::strerror(f.setup_errno) + ")";
  for (const Opcode& o : kNeeded)
    if (o.op == f.missing_opcode)
      return std::string("epoll (io_uring lacks IORING_OP_") + o.name + ", kernel " + o.kernel +
             ")";
  return "epoll";
}

Ring::Ring() = default;

Ring::~Ring() {
  if (ready_) io_uring_queue_exit(&ring_);
}

Result<void> Ring::init(unsigned entries) {
  const char* env = std::getenv("RINGC_BACKEND");
  std::string_view want = env ? env : "";
  if (want == "epoll") {
    features_.forced = true;
    return use_epoll();
  }
  const bool only_uring = want == "io_uring";
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int r = io_uring_queue_init_params(entries, &ring_, &p);
  if (r == -EINVAL) {  // kernel before 6.1: plain ring
    p = {};
    r = io_uring_queue_init_params(entries, &ring_, &p);
  } else if (r == 0) {
    features_.single_issuer = true;
  }
  if (r < 0) {
    if (only_uring) return errc(r);
    features_.setup_errno = -r;
    features_.single_issuer = false;
    return use_epoll();
  }
  if (int missing = first_missing(&ring_); missing >= 0 && !only_uring) {
    io_uring_queue_exit(&ring_);
    features_.missing_opcode = missing;
    features_.single_issuer = false;
    return use_epoll();
  }
  ready_ = true;
  // The rings are not mapped into the inits cloned from this process: no
  // child can touch them, and neither clone nor exec handles their pages.
  (void)io_uring_ring_dontfork(&ring_);
  if (io_uring_probe* probe = io_uring_get_probe_ring(&ring_)) {
    features_.waitid = io_uring_opcode_supported(probe, kOpWaitid);
    io_uring_free_probe(probe);
  }
  // Blocking work the kernel punts to io-wq (rmdir, unlink) runs on one
  // worker per kind: many workers only fight over the same locks (cgroup
  // directories share cgroup_mutex).
  unsigned workers[2] = {1, 1};
  (void)io_uring_register_iowq_max_workers(&ring_, workers);
  return outcome::success();
}

Result<void> Ring::use_epoll() {
  auto p = std::make_unique<Poller>();
  if (auto r = p->init(); !r) return r.error();
  poller_ = std::move(p);
  features_.backend = Backend::kEpoll;
  return outcome::success();
}

bool Ring::register_files() {
  if (poller_) return false;  // the epoll backend writes records in the caller's thread
  if (!features_.fixed_files)
    features_.fixed_files = io_uring_register_files_sparse(&ring_, kFixedFiles) == 0;
  return features_.fixed_files;
}

io_uring_sqe* Ring::sqe() {
  if (poller_) return nullptr;
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s) return s;
  ++queue_full_;
  if (io_uring_submit(&ring_) < 0) return nullptr;
  return io_uring_get_sqe(&ring_);
}

bool Ring::reserve(unsigned n) {
  if (poller_) return true;  // its queue grows
  if (io_uring_sq_space_left(&ring_) >= n) return true;
  ++queue_full_;
  return io_uring_submit(&ring_) >= 0 && io_uring_sq_space_left(&ring_) >= n;
}

Result<Completion> Ring::await(uint64_t user_data) {
  Completion batch[16];
  for (;;) {
    if (auto w = wait(); !w) return w.error();
    unsigned n = reap(batch, 16);
    for (unsigned i = 0; i < n; ++i)
      if (batch[i].user_data == user_data) return batch[i];
  }
}

Result<int> Ring::submit() {
  if (poller_) return poller_->submit();
  int r = io_uring_submit(&ring_);
  if (r < 0) return errc(r);
  return r;
}

Result<void> Ring::wait() {
  if (poller_) return poller_->wait();
  int r = io_uring_submit_and_wait(&ring_, 1);
  if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) return errc(r);
  return outcome::success();
}

unsigned Ring::reap(Completion* out, unsigned max) {
  if (poller_) return poller_->reap(out, max);
  unsigned n = 0;
  io_uring_cqe* cqe;
  unsigned head;
  io_uring_for_each_cqe(&ring_, head, cqe) {
    if (n == max) break;
    out[n++] = {cqe->user_data, cqe->res, cqe->flags};
  }
  io_uring_cq_advance(&ring_, n);
  return n;
}

}  // namespace ringc::ring
