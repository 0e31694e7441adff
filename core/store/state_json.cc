#include "core/store/state_json.h"

#include <fmt/format.h>

#include <ctime>

#include "core/base/error.h"
#include "core/spec/restart.h"

namespace ringc {

std::string format_created(int64_t ns) {
  time_t secs = time_t(ns / 1'000'000'000);
  tm t{};
  ::gmtime_r(&secs, &t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", t.tm_year + 1900, t.tm_mon + 1,
                     t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ns % 1'000'000'000);
}

// The user's name from /etc/passwd ("name:x:uid:..."), read directly: the
// ringc binary is static, and NSS modules would need glibc's shared
// libraries at run time.
std::string owner_name(uint32_t uid) {
  // `list` asks once per container, nearly always for one uid.
  static thread_local std::pair<uint32_t, std::string> last{UINT32_MAX, ""};
  if (last.first == uid) return last.second;
  std::string id = std::to_string(uid);
  auto text = read_file("/etc/passwd");
  if (!text) return id;
  last = {uid, id};
  std::string_view rest = text.value();
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    size_t c3 = c2 == std::string_view::npos ? c2 : line.find(':', c2 + 1);
    if (c3 == std::string_view::npos) continue;
    if (line.substr(c2 + 1, c3 - c2 - 1) == id) {
      last.second = std::string(line.substr(0, c1));
      break;
    }
  }
  return last.second;
}

int shown_pid(const RecordView& r, fsm::State status) {
  // An intent's pid is its creator's, not the container's.
  return status == fsm::State::stopped || (r.flags() & kRecordIntent) ? 0 : r.pid();
}

std::string state_json(const RecordView& r, fsm::State status, bool pretty, bool with_owner,
                       uint64_t oom_kills) {
  const char* nl = pretty ? "\n  " : "";
  const char* sep = pretty ? ": " : ":";
  std::string out = "{";
  auto key = [&](std::string_view k, bool first = false) {
    if (!first) out += ',';
    out += nl;
    out += '"';
    out += k;
    out += '"';
    out += sep;
  };
  auto str = [&](std::string_view v) {
    out += '"';
    json_escape(out, v);
    out += '"';
  };
  key("ociVersion", true);
  str(r.oci_version());
  key("id");
  str(r.id());
  key("pid");
  out += std::to_string(shown_pid(r, status));
  key("status");
  str(fsm::name(status));
  key("bundle");
  str(r.bundle());
  key("rootfs");
  str(r.rootfs());
  key("created");
  str(format_created(r.created_ns()));
  key("owner");
  str(with_owner ? owner_name(r.owner()) : "");
  bool any = false;
  r.for_each_annotation([&](std::string_view k, std::string_view v) {
    if (!any) {
      key("annotations");
      out += '{';
      any = true;
    } else {
      out += ',';
    }
    if (pretty) out += "\n    ";
    str(k);
    out += sep;
    str(v);
  });
  if (any) out += pretty ? "\n  }" : "}";
  if (r.exit_code() >= 0 && status == fsm::State::stopped) {
    key("exitCode");
    out += std::to_string(r.exit_code());
  }
  if (oom_kills > 0) {
    key("oomKills");
    out += std::to_string(oom_kills);
  }
  if (r.restart_kind() != 0) {  // a supervised container: its policy and restarts
    key("restartPolicy");
    out +=
        '"' + to_string(RestartPolicy{RestartKind(r.restart_kind()), int(r.restart_max())}) + '"';
    key("restartCount");
    out += std::to_string(r.restarts());
  }
  out += pretty ? "\n}" : "}";
  return out;
}

}  // namespace ringc
