// The state directory: <root>/<id>/{state, exec.fifo}.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/error.h"
#include "core/store/record.h"

namespace ringc {

inline constexpr std::string_view kDefaultRoot = "/run/ringc";
// --root when none is given: kDefaultRoot for root; for another user (a
// rootless ringc), $XDG_RUNTIME_DIR/ringc, as runc takes
// $XDG_RUNTIME_DIR/runc, or /run/user/<uid>/ringc without it.
std::string default_root();

// A record read from disk: owns the bytes, views into them.
class LoadedRecord {
 public:
  const RecordView& view() const { return view_; }
  const RecordView* operator->() const { return &view_; }

 private:
  friend class Store;
  LoadedRecord(std::vector<char> b, RecordView v) : bytes_(std::move(b)), view_(v) {}
  std::vector<char> bytes_;
  RecordView view_;
};

class Store {
 public:
  explicit Store(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  std::string dir(std::string_view id) const { return root_ + "/" + std::string(id); }
  std::string fifo(std::string_view id) const { return dir(id) + "/exec.fifo"; }

  // Claims the id: mkdir is atomic, so of two concurrent creates exactly one
  // wins; the other gets "container with id exists". The intent record
  // (kRecordIntent, status creating, the cgroup path) is written in the
  // same step, before the caller makes anything a later `delete --force`
  // or recovery would have to find. A config whose record would be over
  // kRecordMax is refused before the mkdir. Where the root is durable the
  // record and the root are synced, unless `sync` is false: the caller
  // syncs them (sync_claim(), or through its ring) while the init sets up,
  // the claim's order against what it names kept by the page cache (a
  // killed creator) and its sync needed only against a host crash, which
  // takes every kernel object the record names with it.
  Result<void> claim(std::string_view id, const RecordFields& intent, bool sync = true) const;
  // The claim's record and the root's directory entry fsynced.
  Result<void> sync_claim(std::string_view id) const;
  // Writes the record atomically (temporary file, then rename); where the
  // root is not tmpfs, the file and the directory are synced, so that a
  // host crash leaves the old record or the new, never a torn one.
  // With `sync` false the caller syncs them (the engine, through its ring,
  // behind a warm start: Engine::fsync_on_ring).
  Result<void> write(std::string_view id, const RecordFields& f, bool sync = true) const;
  // Reads and validates; Errc::not_found when there is no such container.
  Result<LoadedRecord> read(std::string_view id) const;
  // The record file's bytes, unchecked (empty when unreadable): for what a
  // damaged record still says.
  std::vector<char> raw(std::string_view id) const;
  // The id's directory is there (with or without a readable record).
  bool exists(std::string_view id) const;
  // For an entry read() refused with `why`: when it is damaged or a
  // directory with no record (a create killed before its first write), the
  // cgroup that is its to remove: the one the record names where that much
  // of it holds, else the id's default. Nothing when the entry is not there.
  std::optional<std::string> unrecorded_cgroup(std::string_view id, const Error& why) const;
  // Ids of all containers, sorted.
  std::vector<std::string> list() const;
  // Removes the directory and everything in it. Missing is fine.
  Result<void> remove(std::string_view id) const;
  // The root is on a filesystem that outlives a reboot: a record is
  // fsynced, and its directory after the rename (write(), the engine's
  // ring writes).
  bool durable() const;

 private:
  std::string root_;
  mutable int durable_ = -1;
};

}  // namespace ringc
