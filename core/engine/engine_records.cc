// The state record of each container, written as linked ring operations
// (or in this thread for a one-shot verb), and what waits for it: the
// notices, the start byte, the reaping of an exited init.
#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include <utility>

#include <fmt/format.h>

#include "core/base/sys.h"
#include "core/engine/engine.h"
#include "core/store/observe.h"
#include "ring/ops.h"

namespace ringc {

namespace {
using Clock = std::chrono::steady_clock;
}  // namespace

void Engine::write_record(uint32_t i) {
  Slot& s = slots_[i];
  if (s.record_ops > 0) {  // one at a time: the next has the state as it is then
    s.record_again = true;
    return;
  }
  auto t0 = Clock::now();
  // Read from a zombie too: an init that has exited already is still ours
  // (not reaped before its status is recorded), its start time valid.
  if (s.start_time == 0 && !s.exited)
    if (auto st = read_proc_stat(s.pid)) s.start_time = st->start_time;
  RecordFields f = record_fields(*s.prepared, s.id, s.cgroup, s.pid, s.start_time, s.state);
  if (s.created_ns == 0) s.created_ns = f.created_ns;
  f.created_ns = s.created_ns;
  f.exit_code = s.exited ? s.exit_code : -1;
  f.restarts = uint32_t(s.restarts);
  if (s.remove_on_exit) f.flags |= kRecordRemoveOnExit;
  f.restart_kind = uint8_t(s.restart.kind);
  f.restart_max = uint16_t(std::min(s.restart.max, 65535));
  if (s.flags) {  // what a daemon started again takes back from the init
    size_t passed =
        s.flags->fds.size() - (s.flags->stdio ? std::min<size_t>(3, s.flags->fds.size()) : 0);
    f.passed_fds = uint16_t(passed);
    f.listen_fds = uint16_t(s.flags->listen_fds);
  }
  s.record_error.clear();
  // A run taken from a parked init waits for this write alone: where the
  // root is not synced (a tmpfs) it costs the thread tens of µs, less than
  // the ring's three hops through io-wq.
  bool warm = std::exchange(s.record_inline, false);
  if (!free_files_.empty() && !warm) {
    s.record_file = free_files_.back();
    s.record_bytes = encode(f);
    s.record_path = rt_.store().dir(s.id) + "/state";
    s.record_tmp = s.record_path + ".tmp";
    s.record_dir = rt_.store().dir(s.id);  // for its fsync
    unsigned n =
        ring::prep_replace_file(*ring_, token(i, kRecord), s.record_file, s.record_tmp.c_str(),
                                s.record_path.c_str(), s.record_dir.c_str(), s.record_bytes.data(),
                                unsigned(s.record_bytes.size()), rt_.store().durable());
    if (n > 0) {
      free_files_.pop_back();
      s.record_ops = uint8_t(n);
      s.pending = uint16_t(s.pending + n);
      ring_record_ops_ += n;
      charge(Phase::record, t0);
      return;
    }
  }
  // In this thread (a one-shot verb, a full queue, no direct descriptor
  // left, a warm start): written now, its completion handled at the next
  // step. A warm start's on a durable root is synced behind it through
  // the ring (the record, its rename in the directory, the directory's
  // rename in the root: take_parked's), which neither the start byte nor
  // the reply waits for.
  bool behind = warm && rt_.store().durable() && fx_.records_on_ring() && !opts_.inline_files;
  if (auto r = fx_.write_record(rt_.store(), s.id, f, !behind); !r)
    s.record_error = r.error().what();
  if (behind && s.record_error.empty()) {
    const std::string dir = rt_.store().dir(s.id);
    if (!fsync_on_ring(i, {dir + "/state", dir, rt_.store().root()}))
      if (auto r = fx_.write_record(rt_.store(), s.id, f, true); !r)
        s.record_error = r.error().what();
  }
  s.record_ops = 1;
  ++s.pending;
  inline_done_.push_back({token(i, kRecord), 0, 0});
  charge(Phase::record, t0);
}

bool Engine::fsync_on_ring(uint32_t i, std::initializer_list<std::string> paths) {
  Slot& s = slots_[i];
  if (!fx_.records_on_ring() || opts_.inline_files || !ring_->reserve(unsigned(paths.size())))
    return false;
  std::vector<sys::UniqueFd> fds;
  for (const std::string& p : paths) {
    fds.emplace_back(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    if (fds.back().get() < 0) return false;
  }
  for (auto& fd : fds) {
    (void)ring::prep_fsync(*ring_, token(i, kRecordSync), fd.get());
    s.syncing.push_back(std::move(fd));
  }
  s.sync_ops = uint8_t(s.sync_ops + paths.size());
  s.pending = uint16_t(s.pending + paths.size());
  return true;
}

void Engine::on_record_sync(uint32_t i, int res) {
  Slot& s = slots_[i];
  --s.sync_ops;
  if (res < 0 && s.error.empty())
    s.error = fmt::format("fsync the record of {}: {}", s.id, std::strerror(-res));
  if (s.sync_ops == 0) s.syncing.clear();
}

void Engine::sync_claim(uint32_t i) {
  Slot& s = slots_[i];
  if (!rt_.store().durable()) return;
  auto t0 = Clock::now();
  std::string path = rt_.store().dir(s.id) + "/state";
  if (fsync_on_ring(i, {path, rt_.store().root()})) {
    charge(Phase::record, t0);
    return;
  }
  if (auto r = fx_.sync_claim(rt_.store(), s.id); !r) s.record_error = r.error().what();
  ++s.record_ops;
  ++s.pending;
  inline_done_.push_back({token(i, kRecord), 0, 0});
  charge(Phase::record, t0);
}

void Engine::on_record(uint32_t i, int res) {
  Slot& s = slots_[i];
  --s.record_ops;
  const bool on_ring = s.record_file != 0xffff;
  if (on_ring) --ring_record_ops_;
  if (res < 0 && s.record_error.empty())
    s.record_error = fmt::format("write {}: {}", s.record_path, std::strerror(-res));
  if (s.record_ops > 0) return;
  if (on_ring) {
    free_files_.push_back(s.record_file);
    s.record_file = 0xffff;
    if (!s.record_error.empty()) (void)::unlink(s.record_tmp.c_str());  // rare: ENOSPC, EIO
  }
  if (!s.record_error.empty() && s.error.empty()) s.error = s.record_error;
  if (s.record_again) {
    s.record_again = false;
    write_record(i);
    return;  // what waits for the record waits for this one
  }
  if (s.reap_after_record > 0) {
    sys::reap(s.reap_after_record);
    s.reap_after_record = 0;
  }
  if (s.start_after_record) {
    s.start_after_record = false;
    send_start(i);
  }
  flush_notices();
  if (s.used && s.record_ops == 0 && !s.after_record.empty()) {
    auto waiting = std::move(s.after_record);
    s.after_record.clear();
    for (auto& f : waiting) f();
  }
}

void Engine::after_record(std::string_view id, std::function<void()> f) {
  auto it = by_id_.find(id);
  if (it == by_id_.end() || slots_[it->second].record_ops == 0) return f();
  slots_[it->second].after_record.push_back(std::move(f));
}

}  // namespace ringc
