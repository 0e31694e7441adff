// The state record: <root>/<id>/state, a fixed-layout little-endian
// versioned record. Reading is a validated view over the bytes: accessors
// return string_views into them and allocate nothing.
//
// Layout (version 1), all integers little-endian:
//   0  u32 magic "RGST"        4  u16 version         6  u16 header size (112)
//   8  u32 total size          12 u32 crc32 of bytes [16, total)
//   16 i32 pid                 20 u8 status (fsm::State), u8 pad, u16 flags
//   24 u64 pid start time (clock ticks since boot, /proc/<pid>/stat field 22)
//   32 i64 created (ns since the epoch)
//   40 i32 exit code (-1 unknown; 128+N for signal N)
//   44 u32 owner uid           48 u32 restart count
//   52 u8 restart policy (RestartKind), u8 pad, u16 on-failure max
//   56 u16 fds from 3 a daemon's client passed (--preserve-fds), held for
//      restarts; u16 how many of them are LISTEN_FDS'
//   60..63 reserved (0)
//   64 string table: kStringCount entries of {u32 offset, u32 length}
//   112 string bytes
// Strings: id, bundle, rootfs, cgroup path, ociVersion, annotations
// (key\0value\0 pairs).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/error.h"
#include "fsm/lifecycle.h"

namespace ringc {

inline constexpr uint32_t kRecordMagic = 0x54534752;  // "RGST"
inline constexpr uint16_t kRecordVersion = 1;
inline constexpr uint32_t kRecordHeader = 112;
inline constexpr uint32_t kRecordMax = 1 << 20;

enum class RecordString : uint8_t { id, bundle, rootfs, cgroup, oci_version, annotations };
inline constexpr int kStringCount = 6;

// Record flags: the supervisor deletes the container once it has exited
// (run --rm under a daemon).
inline constexpr uint16_t kRecordRemoveOnExit = 1;
// config.json has poststart or poststop hooks: start and delete read it.
inline constexpr uint16_t kRecordHooks = 2;
// The intent, written at the claim before any kernel object is made: the
// status is creating and pid/start time name the process making the
// container (a CLI or a daemon), not an init. Once that process is gone
// the container is half-made, and its cgroup path says what to remove.
inline constexpr uint16_t kRecordIntent = 4;

// What is written: the owner of the data builds it, encode() lays it out.
struct RecordFields {
  int32_t pid = 0;
  fsm::State status = fsm::State::creating;
  uint16_t flags = 0;  // kRecordRemoveOnExit
  uint64_t start_time = 0;
  int64_t created_ns = 0;
  int32_t exit_code = -1;
  uint32_t owner = 0;
  uint32_t restarts = 0;
  uint8_t restart_kind = 0;  // RestartKind; 0 (no) for containers of the CLI
  uint16_t restart_max = 0;
  uint16_t passed_fds = 0, listen_fds = 0;
  std::string_view id, bundle, rootfs, cgroup, oci_version;
  std::vector<std::pair<std::string_view, std::string_view>> annotations;
};

std::string encode(const RecordFields& f);

// CRC-32C of the bytes (hardware instruction where the CPU has it).
uint32_t crc32c(std::span<const char> bytes);
uint32_t crc32c_portable(std::span<const char> bytes);  // table only, for tests

class RecordView {
 public:
  // Validates magic, version, sizes, string bounds and the checksum. `name`
  // (usually the file path) goes into the error.
  static Result<RecordView> parse(std::span<const char> bytes, std::string_view name);
  // A damaged record's cgroup path where its layout still holds (bounds
  // checked, the checksum and version not) and its id is `id`: what a
  // forced delete can still clean up.
  static std::optional<std::string> salvage_cgroup(std::span<const char> bytes,
                                                   std::string_view id);

  int32_t pid() const { return i32(16); }
  fsm::State status() const { return fsm::State(uint8_t(bytes_[20])); }
  uint16_t flags() const { return u16(22); }
  uint64_t start_time() const { return u64(24); }
  int64_t created_ns() const { return int64_t(u64(32)); }
  int32_t exit_code() const { return i32(40); }
  uint32_t owner() const { return u32(44); }
  uint32_t restarts() const { return u32(48); }
  uint8_t restart_kind() const { return uint8_t(bytes_[52]); }
  uint16_t restart_max() const { return u16(54); }
  uint16_t passed_fds() const { return u16(56); }
  uint16_t listen_fds() const { return u16(58); }
  std::string_view str(RecordString s) const;
  std::string_view id() const { return str(RecordString::id); }
  std::string_view bundle() const { return str(RecordString::bundle); }
  std::string_view rootfs() const { return str(RecordString::rootfs); }
  std::string_view cgroup() const { return str(RecordString::cgroup); }
  std::string_view oci_version() const { return str(RecordString::oci_version); }

  // Calls f(key, value) for each annotation, in stored order.
  template <class F>
  void for_each_annotation(F&& f) const {
    std::string_view a = str(RecordString::annotations);
    while (!a.empty()) {
      size_t k = a.find('\0');
      std::string_view key = a.substr(0, k);
      a.remove_prefix(k + 1);
      size_t v = a.find('\0');
      f(key, a.substr(0, v));
      a.remove_prefix(v + 1);
    }
  }

  // The fields as written, for a rewrite with some of them changed.
  RecordFields fields() const;

 private:
  explicit RecordView(std::span<const char> b) : bytes_(b) {}
  uint16_t u16(size_t o) const;
  uint32_t u32(size_t o) const;
  int32_t i32(size_t o) const { return int32_t(u32(o)); }
  uint64_t u64(size_t o) const;
  std::span<const char> bytes_;
};

}  // namespace ringc
