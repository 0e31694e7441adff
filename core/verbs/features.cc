#include "core/verbs/features.h"

#include <seccomp.h>

#include <fmt/format.h>

#include <string_view>
#include <vector>

#include "core/hooks/hooks.h"
#include "core/init/rootfs.h"
#include "core/spec/seccomp.h"
#include "core/spec/spec.h"
#include "core/store/state_json.h"
#include "ring/ring.h"

namespace ringc {

namespace {
template <class Range>
std::string list(const Range& items, int indent) {
  std::string pad(size_t(indent), ' ');
  std::string out = "[";
  bool first = true;
  for (std::string_view s : items) {
    out += fmt::format("{}\n{}  {}", first ? "" : ",", pad, json_quote(s));
    first = false;
  }
  return out + "\n" + pad + "]";
}

template <class T, size_t N>
std::vector<std::string_view> names(const SeccompName<T> (&table)[N]) {
  std::vector<std::string_view> out;
  for (auto& n : table) out.push_back(n.name);
  return out;
}
// Which backend a ring made now would run on (ring/poller.h).
std::string reactor() {
  ring::Ring r;
  if (auto ok = r.init(4); !ok) return "none (" + ok.error().message() + ")";
  return ring::describe(r.features());
}
}  // namespace

std::string features_json() {
  std::vector<std::string_view> hooks, namespaces;
  for (int k = 0; k < kHookKinds; ++k) hooks.push_back(hook_key(HookKind(k)));
  for (int t = 0; t < kNsTypeCount; ++t) namespaces.push_back(ns_name(NsType(t)));
  const scmp_version* v = seccomp_version();
  std::vector<std::string_view> flags(std::begin(kSeccompFlags), std::end(kSeccompFlags));
  return fmt::format(R"({{
  "ociVersionMin": "{}",
  "ociVersionMax": "{}",
  "hooks": {},
  "mountOptions": {},
  "linux": {{
    "namespaces": {},
    "capabilities": {},
    "cgroup": {{
      "v1": true,
      "v2": true,
      "systemd": false,
      "systemdUser": false,
      "rdma": false
    }},
    "seccomp": {{
      "enabled": true,
      "actions": {},
      "operators": {},
      "archs": {},
      "knownFlags": {},
      "supportedFlags": {}
    }},
    "apparmor": {{
      "enabled": true
    }},
    "selinux": {{
      "enabled": false
    }},
    "intelRdt": {{
      "enabled": false
    }},
    "mountExtensions": {{
      "idmap": {{
        "enabled": true
      }}
    }}
  }},
  "annotations": {{
    "io.github.seccomp.libseccomp.version": "{}.{}.{}",
    "org.ringc.reactor": {},
    "org.opencontainers.runc.checkpoint.enabled": "false"
  }}
}}
)",
                     kOciVersionMin, kOciVersionMax, list(hooks, 2), list(mount_option_names(), 2),
                     list(namespaces, 4), list(capability_names(), 4),
                     list(names(kSeccompActions), 6), list(names(kSeccompOps), 6),
                     list(kSeccompArches, 6), list(flags, 6), list(flags, 6), v->major, v->minor,
                     v->micro, json_quote(reactor()));
}

}  // namespace ringc
