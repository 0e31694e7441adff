#include "core/supervisor/protocol.h"

#include <climits>

#include <fmt/format.h>

#include "core/spec/json.h"
#include "core/store/state_json.h"

namespace ringc {

namespace {
using json::Object;
using json::Value;

Error bad(std::string_view field, std::string_view why) {
  return ringc_error(Errc::bad_usage, fmt::format("request: /{}: {}", field, why));
}

Result<std::string> str_field(Object o, std::string_view key, std::string fallback) {
  Value e = o[key];
  if (e.is_null()) return fallback;
  std::string_view s;
  if (!e.get(s)) return bad(key, "must be a string");
  return std::string(s);
}

Result<bool> bool_field(Object o, std::string_view key, bool fallback) {
  Value e = o[key];
  if (e.is_null()) return fallback;
  bool b;
  if (!e.get(b)) return bad(key, "must be true or false");
  return b;
}

Result<std::optional<int64_t>> int_field(Object o, std::string_view key, int64_t lo, int64_t hi) {
  Value e = o[key];
  if (e.is_null()) return std::optional<int64_t>{};
  int64_t v;
  if (!e.get(v) || v < lo || v > hi)
    return bad(key, fmt::format("must be a whole number from {} to {}", lo, hi));
  return std::optional<int64_t>(v);
}
}  // namespace

Result<Request> parse_request(std::string_view line) {
  json::Document doc;
  if (std::string why; !doc.parse(line, &why))
    return ringc_error(Errc::bad_usage, "request: not valid JSON: " + why);
  Object o;
  if (!doc.root().get(o)) return ringc_error(Errc::bad_usage, "request: must be a JSON object");
  Request r;
  if (Value seq = o["seq"]; !seq.absent()) r.seq = seq.dump();
  RINGC_TRY(r.op, str_field(o, "op", ""));
  if (r.op.empty()) return bad("op", "missing");
  RINGC_TRY(r.id, str_field(o, "id", ""));
  RINGC_TRY(r.bundle, str_field(o, "bundle", ""));
  RINGC_TRY(r.prefix, str_field(o, "prefix", "batch"));
  RINGC_TRY(r.signal, str_field(o, "signal", "TERM"));
  RINGC_TRY(r.grace_ms, int_field(o, "grace_ms", 0, 86'400'000));
  RINGC_TRY(r.force, bool_field(o, "force", false));
  RINGC_TRY(r.all, bool_field(o, "all", false));
  RINGC_TRY(r.keep, bool_field(o, "keep", false));
  RINGC_TRY(r.rm, bool_field(o, "rm", false));
  RINGC_TRY(r.wait, bool_field(o, "wait", false));
  RINGC_TRY(r.console_socket, str_field(o, "console_socket", ""));
  if (!r.console_socket.empty() && r.console_socket[0] != '/')
    return bad("console_socket", "must be an absolute path");
  RINGC_TRY(r.pidfd_socket, str_field(o, "pidfd_socket", ""));
  if (!r.pidfd_socket.empty() && r.pidfd_socket[0] != '/')
    return bad("pidfd_socket", "must be an absolute path");
  RINGC_TRY(r.no_pivot, bool_field(o, "no_pivot", false));
  RINGC_TRY(r.no_new_keyring, bool_field(o, "no_new_keyring", false));
  RINGC_TRY(r.stdio, bool_field(o, "stdio", false));
  RINGC_TRY(auto fds, int_field(o, "fds", 0, 250));
  r.fds = uint64_t(fds.value_or(0));
  RINGC_TRY(auto listen, int_field(o, "listen_fds", 0, 250));
  r.listen_fds = uint64_t(listen.value_or(0));
  if (r.listen_fds > r.fds) return bad("listen_fds", "more than fds");
  RINGC_TRY(auto count, int_field(o, "count", 1, 10'000'000));
  r.count = uint64_t(count.value_or(0));
  RINGC_TRY(auto size, int_field(o, "size", 0, 4096));
  if (size) r.size = uint64_t(*size);
  RINGC_TRY(auto parallel, int_field(o, "parallel", 1, 1'000'000));
  r.parallel = uint64_t(parallel.value_or(1));
  if (Value res = o["resources"]; !res.absent()) {
    if (Object ro; !res.get(ro)) return bad("resources", "must be a LinuxResources object");
    r.resources = res.dump();
  }
  if (Value ex = o["exec"]; !ex.absent()) {
    if (Object eo; !ex.get(eo)) return bad("exec", "must be an object of exec's options");
    r.exec = ex.dump();
  }
  RINGC_TRY(auto pid, int_field(o, "pid", 1, INT32_MAX));
  r.pid = pid.value_or(0);
  RINGC_TRY(auto restart, str_field(o, "restart", "no"));
  auto policy = parse_restart(restart);
  if (!policy) return bad("restart", policy.error().what());
  r.restart = policy.value();
  return r;
}

std::string request_json(const Request& r) {
  std::string out = fmt::format("{{\"op\":{}", json_quote(r.op));
  if (!r.id.empty()) out += ",\"id\":" + json_quote(r.id);
  if (!r.bundle.empty()) out += ",\"bundle\":" + json_quote(r.bundle);
  if (r.op == "kill") out += ",\"signal\":" + json_quote(r.signal);
  if (r.grace_ms) out += fmt::format(",\"grace_ms\":{}", *r.grace_ms);
  if (r.force) out += ",\"force\":true";
  if (r.all) out += ",\"all\":true";
  if (r.keep) out += ",\"keep\":true";
  if (r.rm) out += ",\"rm\":true";
  if (r.wait) out += ",\"wait\":true";
  if (!r.console_socket.empty()) out += ",\"console_socket\":" + json_quote(r.console_socket);
  if (!r.pidfd_socket.empty()) out += ",\"pidfd_socket\":" + json_quote(r.pidfd_socket);
  if (r.no_pivot) out += ",\"no_pivot\":true";
  if (r.no_new_keyring) out += ",\"no_new_keyring\":true";
  if (r.stdio) out += ",\"stdio\":true";
  if (r.fds) out += fmt::format(",\"fds\":{}", r.fds);
  if (r.listen_fds) out += fmt::format(",\"listen_fds\":{}", r.listen_fds);
  if (!r.resources.empty()) out += ",\"resources\":" + r.resources;
  if (!r.exec.empty()) out += ",\"exec\":" + r.exec;
  if (r.pid) out += fmt::format(",\"pid\":{}", r.pid);
  if (r.size) out += fmt::format(",\"size\":{}", *r.size);
  if (r.op == "batch")
    out += fmt::format(",\"count\":{},\"parallel\":{},\"prefix\":{}", r.count, r.parallel,
                       json_quote(r.prefix));
  if (r.restart.kind != RestartKind::no) out += ",\"restart\":" + json_quote(to_string(r.restart));
  return out + "}\n";
}

std::string reply_ok(std::string_view seq, std::string_view fields) {
  return fmt::format("{{\"seq\":{},\"ok\":true{}{}}}\n", seq, fields.empty() ? "" : ",", fields);
}

std::string reply_error(std::string_view seq, std::string_view message) {
  return fmt::format("{{\"seq\":{},\"ok\":false,\"error\":{}}}\n", seq, json_quote(message));
}

Reply parse_reply(std::string_view line) {
  Reply r;
  r.line = line;
  json::Document doc;
  bool ok = false;
  if (!doc.parse(line) || !doc.root()["ok"].get(ok)) {
    r.error = "the daemon sent a reply that is not valid JSON: " + std::string(line);
    return r;
  }
  r.ok = ok;
  if (!ok) r.error = reply_string(line, "error").value_or("the daemon refused the request");
  return r;
}

std::optional<std::string> reply_string(std::string_view line, std::string_view key) {
  json::Document doc;
  std::string_view s;
  if (!doc.parse(line) || !doc.root()[key].get(s)) return std::nullopt;
  return std::string(s);
}

std::optional<int64_t> reply_int(std::string_view line, std::string_view key) {
  json::Document doc;
  int64_t v;
  if (!doc.parse(line) || !doc.root()[key].get(v)) return std::nullopt;
  return v;
}

std::optional<std::string> reply_raw(std::string_view line, std::string_view key) {
  json::Document doc;
  if (!doc.parse(line)) return std::nullopt;
  Value e = doc.root()[key];
  if (e.absent()) return std::nullopt;
  return e.dump();
}

}  // namespace ringc
