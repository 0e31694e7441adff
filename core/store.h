// The state directory: <root>/<id>/{state, exec.fifo}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/record.h"

namespace ringc {

inline constexpr std::string_view kDefaultRoot = "/run/ringc";

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
  // wins; the other gets "container with id exists".
  Result<void> claim(std::string_view id) const;
  // Writes the record atomically (temporary file, then rename).
  Result<void> write(std::string_view id, const RecordFields& f) const;
  // Reads and validates; Errc::not_found when there is no such container.
  Result<LoadedRecord> read(std::string_view id) const;
  // Ids of all containers, sorted.
  std::vector<std::string> list() const;
  // Removes the directory and everything in it. Missing is fine.
  Result<void> remove(std::string_view id) const;

 private:
  std::string root_;
};

}  // namespace ringc
