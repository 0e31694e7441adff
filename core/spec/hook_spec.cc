#include "core/spec/hook_spec.h"

namespace ringc {

namespace {
constexpr std::string_view kKeys[kHookKinds] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"};
}  // namespace

std::string_view hook_key(HookKind k) {
  return kKeys[int(k)];
}

bool Hooks::any() const {
  for (auto& v : of)
    if (!v.empty()) return true;
  return false;
}

bool Hooks::after_create() const {
  return !(*this)[HookKind::poststart].empty() || !(*this)[HookKind::poststop].empty();
}

}  // namespace ringc
