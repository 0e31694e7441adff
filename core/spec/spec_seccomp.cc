// linux.seccomp → Seccomp. Every check names the field's JSON pointer.
#include <fmt/format.h>

#include "core/spec/seccomp.h"
#include "core/spec/spec.h"
#include "core/spec/spec_reader.h"

namespace ringc {

namespace {
using spec_detail::element;
using spec_detail::object;
using spec_detail::Reader;

template <class T, size_t N>
Result<T> lookup(const Reader& r, const SeccompName<T> (&table)[N], element e,
                 const std::string& ptr, std::string_view what) {
  RINGC_TRY(auto name, r.str(e, ptr));
  for (auto& n : table)
    if (n.name == name) return n.value;
  return r.fail(ptr, fmt::format("unknown {} \"{}\"", what, name));
}

Result<uint32_t> errno_ret(const Reader& r, object o, const std::string& ptr, const char* key) {
  auto e = Reader::field(o, key);
  if (!e) return uint32_t(1);  // EPERM, as runc
  RINGC_TRY(auto v, r.integer(*e, ptr + "/" + key, 0, 4095));
  return uint32_t(v);
}

Result<std::vector<SeccompArg>> parse_args(const Reader& r, element e, const std::string& ptr) {
  RINGC_TRY(auto a, r.arr(e, ptr));
  std::vector<SeccompArg> out;
  size_t i = 0;
  for (element x : a) {
    std::string p = fmt::format("{}/{}", ptr, i++);
    RINGC_TRY(auto o, r.obj(x, p));
    SeccompArg arg;
    auto index = Reader::field(o, "index"), value = Reader::field(o, "value"),
         op = Reader::field(o, "op");
    if (!index) return r.fail(p + "/index", "is required");
    if (!value) return r.fail(p + "/value", "is required");
    if (!op) return r.fail(p + "/op", "is required");
    RINGC_TRY(auto idx, r.integer(*index, p + "/index", 0, 5));
    arg.index = uint32_t(idx);
    RINGC_TRY(arg.value, r.u64(*value, p + "/value"));
    if (auto two = Reader::field(o, "valueTwo")) {
      RINGC_TRY(arg.value_two, r.u64(*two, p + "/valueTwo"));
    }
    RINGC_TRY(arg.op, lookup(r, kSeccompOps, *op, p + "/op", "operator"));
    out.push_back(arg);
  }
  return out;
}
}  // namespace

bool Seccomp::notifies() const {
  for (auto& rule : syscalls)
    if (rule.action == SeccompAction::notify) return true;
  return false;
}

Result<Seccomp> parse_seccomp(const spec_detail::Reader& r, spec_detail::object o) {
  const std::string base = "/linux/seccomp";
  Seccomp s;
  auto def = Reader::field(o, "defaultAction");
  if (!def) return r.fail(base + "/defaultAction", "is required");
  RINGC_TRY(s.default_action, lookup(r, kSeccompActions, *def, base + "/defaultAction", "action"));
  // As under runc: the default would catch the write that hands the
  // listener to the runtime.
  if (s.default_action == SeccompAction::notify)
    return r.fail(base + "/defaultAction", "SCMP_ACT_NOTIFY cannot be used as default action");
  RINGC_TRY(s.default_errno, errno_ret(r, o, base, "defaultErrnoRet"));
  if (auto e = Reader::field(o, "architectures")) {
    RINGC_TRY(auto names, r.strings(*e, base + "/architectures"));
    for (auto& n : names) {
      bool known = false;
      for (auto a : kSeccompArches) known |= a == n;
      if (!known)
        return r.fail(base + "/architectures", fmt::format("unknown architecture \"{}\"", n));
      std::string lib = n.substr(10);  // after "SCMP_ARCH_"
      for (auto& c : lib) c = char(std::tolower(c));
      s.architectures.push_back(std::move(lib));
    }
  }
  if (auto e = Reader::field(o, "flags")) {
    RINGC_TRY(auto flags, r.strings(*e, base + "/flags"));
    for (auto& f : flags) {
      if (f == kSeccompFlags[0])
        s.flag_tsync = true;
      else if (f == kSeccompFlags[1])
        s.flag_log = true;
      else if (f == kSeccompFlags[2])
        s.flag_spec_allow = true;
      else
        return r.fail(base + "/flags", fmt::format("unsupported flag \"{}\"", f));
    }
  }
  if (auto e = Reader::field(o, "listenerPath")) {
    RINGC_TRY(s.listener_path, r.str(*e, base + "/listenerPath"));
  }
  if (auto e = Reader::field(o, "listenerMetadata")) {
    RINGC_TRY(s.listener_metadata, r.str(*e, base + "/listenerMetadata"));
  }
  if (auto e = Reader::field(o, "syscalls")) {
    RINGC_TRY(auto a, r.arr(*e, base + "/syscalls"));
    size_t i = 0;
    for (element x : a) {
      std::string p = fmt::format("{}/syscalls/{}", base, i++);
      RINGC_TRY(auto so, r.obj(x, p));
      SeccompRule rule;
      auto names = Reader::field(so, "names");
      if (!names) return r.fail(p + "/names", "is required");
      RINGC_TRY(rule.names, r.strings(*names, p + "/names"));
      auto action = Reader::field(so, "action");
      if (!action) return r.fail(p + "/action", "is required");
      RINGC_TRY(rule.action, lookup(r, kSeccompActions, *action, p + "/action", "action"));
      RINGC_TRY(rule.errno_ret, errno_ret(r, so, p, "errnoRet"));
      // The process hands its listener over with write(2) before anyone
      // could answer for it (runc's rule and words).
      if (rule.action == SeccompAction::notify)
        for (auto& name : rule.names)
          if (name == "write")
            return r.fail(p + "/names", "SCMP_ACT_NOTIFY cannot be used for the write syscall");
      if (auto args = Reader::field(so, "args")) {
        RINGC_TRY(rule.args, parse_args(r, *args, p + "/args"));
      }
      s.syscalls.push_back(std::move(rule));
    }
  }
  if (s.notifies() && s.listener_path.empty())
    return r.fail(base + "/listenerPath",
                  "is required when a rule's action is SCMP_ACT_NOTIFY (the seccomp agent's "
                  "socket)");
  return s;
}

}  // namespace ringc
