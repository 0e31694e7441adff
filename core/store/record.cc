#include "core/store/record.h"

#include <fmt/format.h>

#include <array>
#include <bit>
#include <cstring>

namespace ringc {

static_assert(std::endian::native == std::endian::little,
              "record accessors assume a little-endian host");

namespace {
// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78: what SSE4.2's
// crc32 instruction computes, eight bytes at a time.
constexpr std::array<uint32_t, 256> kCrcTable = [] {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}();

uint32_t crc32c_table(uint32_t c, const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) c = kCrcTable[(c ^ uint8_t(p[i])) & 0xFF] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_hw(uint32_t c, const char* p, size_t n) {
  uint64_t c64 = c;
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c64 = __builtin_ia32_crc32di(c64, v);
  }
  c = uint32_t(c64);
  for (; n > 0; --n, ++p) c = __builtin_ia32_crc32qi(c, uint8_t(*p));
  return c;
}
const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif

template <class T>
void put(std::string& out, size_t off, T v) {
  std::memcpy(out.data() + off, &v, sizeof(T));
}

Error corrupt(std::string_view name, std::string_view why) {
  return ringc_error(Errc::corrupt_state, fmt::format("state record {}: {}", name, why));
}
}  // namespace

uint32_t crc32c(std::span<const char> bytes) {
  uint32_t c = 0xFFFFFFFFu;
#if defined(__x86_64__)
  if (kHaveSse42) return crc32c_hw(c, bytes.data(), bytes.size()) ^ 0xFFFFFFFFu;
#endif
  return crc32c_table(c, bytes.data(), bytes.size()) ^ 0xFFFFFFFFu;
}

uint32_t crc32c_portable(std::span<const char> bytes) {
  return crc32c_table(0xFFFFFFFFu, bytes.data(), bytes.size()) ^ 0xFFFFFFFFu;
}

std::string encode(const RecordFields& f) {
  std::string ann;
  for (auto& [k, v] : f.annotations) {
    ann.append(k).push_back('\0');
    ann.append(v).push_back('\0');
  }
  const std::array<std::string_view, kStringCount> strs = {f.id,     f.bundle,      f.rootfs,
                                                           f.cgroup, f.oci_version, ann};
  size_t total = kRecordHeader;
  for (auto s : strs) total += s.size();
  std::string out(total, '\0');
  put<uint32_t>(out, 0, kRecordMagic);
  put<uint16_t>(out, 4, kRecordVersion);
  put<uint16_t>(out, 6, uint16_t(kRecordHeader));
  put<uint32_t>(out, 8, uint32_t(total));
  put<int32_t>(out, 16, f.pid);
  out[20] = char(f.status);
  put<uint16_t>(out, 22, f.flags);
  put<uint64_t>(out, 24, f.start_time);
  put<int64_t>(out, 32, f.created_ns);
  put<int32_t>(out, 40, f.exit_code);
  put<uint32_t>(out, 44, f.owner);
  put<uint32_t>(out, 48, f.restarts);
  out[52] = char(f.restart_kind);
  put<uint16_t>(out, 54, f.restart_max);
  put<uint16_t>(out, 56, f.passed_fds);
  put<uint16_t>(out, 58, f.listen_fds);
  uint32_t off = kRecordHeader;
  for (int i = 0; i < kStringCount; ++i) {
    put<uint32_t>(out, 64 + 8 * i, off);
    put<uint32_t>(out, 68 + 8 * i, uint32_t(strs[i].size()));
    std::memcpy(out.data() + off, strs[i].data(), strs[i].size());
    off += uint32_t(strs[i].size());
  }
  put<uint32_t>(out, 12, crc32c(std::span<const char>(out).subspan(16)));
  return out;
}

uint16_t RecordView::u16(size_t o) const {
  uint16_t v;
  std::memcpy(&v, bytes_.data() + o, sizeof v);
  return v;
}
uint32_t RecordView::u32(size_t o) const {
  uint32_t v;
  std::memcpy(&v, bytes_.data() + o, sizeof v);
  return v;
}
uint64_t RecordView::u64(size_t o) const {
  uint64_t v;
  std::memcpy(&v, bytes_.data() + o, sizeof v);
  return v;
}

Result<RecordView> RecordView::parse(std::span<const char> b, std::string_view name) {
  if (b.size() < kRecordHeader)
    return corrupt(name,
                   fmt::format("truncated ({} bytes, header needs {})", b.size(), kRecordHeader));
  RecordView v(b);
  if (v.u32(0) != kRecordMagic) return corrupt(name, "bad magic (not a ringc state record)");
  if (v.u16(4) != kRecordVersion)
    return corrupt(name, fmt::format("unsupported version {}", v.u16(4)));
  if (v.u16(6) != kRecordHeader) return corrupt(name, "bad header size");
  uint32_t total = v.u32(8);
  if (total != b.size())
    return corrupt(name, fmt::format("size field says {} bytes, file has {}", total, b.size()));
  if (crc32c(b.subspan(16)) != v.u32(12)) return corrupt(name, "checksum mismatch");
  if (uint8_t(b[20]) >= fsm::kStateCount) return corrupt(name, "bad status");
  for (int i = 0; i < kStringCount; ++i) {
    uint64_t off = v.u32(64 + 8 * i), len = v.u32(68 + 8 * i);
    if (off < kRecordHeader || off + len > total) return corrupt(name, "string out of bounds");
  }
  std::string_view ann = v.str(RecordString::annotations);
  if (!ann.empty() && ann.back() != '\0') return corrupt(name, "bad annotations");
  size_t nuls = 0;
  for (char c : ann) nuls += c == '\0';
  if (nuls % 2) return corrupt(name, "bad annotations");
  return v;
}

std::optional<std::string> RecordView::salvage_cgroup(std::span<const char> b,
                                                      std::string_view id) {
  if (b.size() < kRecordHeader) return std::nullopt;
  RecordView v(b);
  if (v.u32(0) != kRecordMagic) return std::nullopt;
  for (RecordString which : {RecordString::id, RecordString::cgroup}) {
    uint64_t off = v.u32(64 + 8 * int(which)), len = v.u32(68 + 8 * int(which));
    if (off < kRecordHeader || off + len > b.size()) return std::nullopt;
  }
  std::string_view cg = v.cgroup();
  if (v.id() != id || cg.empty() || cg[0] != '/') return std::nullopt;
  return std::string(cg);
}

std::string_view RecordView::str(RecordString s) const {
  int i = int(s);
  return {bytes_.data() + u32(64 + 8 * i), u32(68 + 8 * i)};
}

RecordFields RecordView::fields() const {
  RecordFields f;
  f.pid = pid();
  f.status = status();
  f.flags = flags();
  f.start_time = start_time();
  f.created_ns = created_ns();
  f.exit_code = exit_code();
  f.owner = owner();
  f.restarts = restarts();
  f.restart_kind = restart_kind();
  f.restart_max = restart_max();
  f.passed_fds = passed_fds();
  f.listen_fds = listen_fds();
  f.id = id();
  f.bundle = bundle();
  f.rootfs = rootfs();
  f.cgroup = cgroup();
  f.oci_version = oci_version();
  for_each_annotation(
      [&](std::string_view k, std::string_view v) { f.annotations.emplace_back(k, v); });
  return f;
}

}  // namespace ringc
