#include "ring/ring.h"

#include <cerrno>

namespace ringc::ring {

namespace {
std::error_code errc(int negative_errno) {
  return {-negative_errno, std::generic_category()};
}
}  // namespace

Ring::~Ring() {
  if (ready_) io_uring_queue_exit(&ring_);
}

Result<void> Ring::init(unsigned entries) {
  io_uring_params p{};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int r = io_uring_queue_init_params(entries, &ring_, &p);
  if (r == -EINVAL) {  // kernel before 6.1: plain ring
    p = {};
    r = io_uring_queue_init_params(entries, &ring_, &p);
  } else if (r == 0) {
    features_.single_issuer = true;
  }
  if (r < 0) return errc(r);
  ready_ = true;
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

bool Ring::register_files() {
  if (!features_.fixed_files)
    features_.fixed_files = io_uring_register_files_sparse(&ring_, kFixedFiles) == 0;
  return features_.fixed_files;
}

io_uring_sqe* Ring::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s) return s;
  ++queue_full_;
  if (io_uring_submit(&ring_) < 0) return nullptr;
  return io_uring_get_sqe(&ring_);
}

bool Ring::reserve(unsigned n) {
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
  int r = io_uring_submit(&ring_);
  if (r < 0) return errc(r);
  return r;
}

Result<void> Ring::wait() {
  int r = io_uring_submit_and_wait(&ring_, 1);
  if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) return errc(r);
  return outcome::success();
}

unsigned Ring::reap(Completion* out, unsigned max) {
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
