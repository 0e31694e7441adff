// hooks → Hooks. Every check names the field's JSON pointer.
#include <fmt/format.h>

#include "core/spec/spec.h"
#include "core/spec/spec_reader.h"

namespace ringc {

Result<Hooks> parse_hooks(const spec_detail::Reader& r, spec_detail::object o) {
  using spec_detail::element;
  using spec_detail::Reader;
  Hooks hooks;
  for (int k = 0; k < kHookKinds; ++k) {
    std::string key(hook_key(HookKind(k)));
    auto e = Reader::field(o, key);
    if (!e) continue;
    RINGC_TRY(auto a, r.arr(*e, "/hooks/" + key));
    size_t i = 0;
    for (element x : a) {
      std::string ptr = fmt::format("/hooks/{}/{}", key, i++);
      RINGC_TRY(auto ho, r.obj(x, ptr));
      Hook h;
      auto path = Reader::field(ho, "path");
      if (!path) return r.fail(ptr + "/path", "is required");
      RINGC_TRY(h.path, r.str(*path, ptr + "/path"));
      if (h.path.empty() || h.path[0] != '/') return r.fail(ptr + "/path", "must be absolute");
      if (auto f = Reader::field(ho, "args")) {
        RINGC_TRY(h.args, r.strings(*f, ptr + "/args"));
      }
      if (auto f = Reader::field(ho, "env")) {
        RINGC_TRY(h.env, r.strings(*f, ptr + "/env"));
      }
      if (auto f = Reader::field(ho, "timeout")) {
        RINGC_TRY(auto t, r.integer(*f, ptr + "/timeout", 1, 86400));
        h.timeout_s = int(t);
      }
      hooks.of[k].push_back(std::move(h));
    }
  }
  return hooks;
}

}  // namespace ringc
