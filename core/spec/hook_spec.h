// The hooks a config.json names (/hooks): what each is and when it runs
// is core/hooks/hooks.h's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ringc {

struct Hook {
  std::string path;
  std::vector<std::string> args, env;
  std::optional<int> timeout_s;
};

enum class HookKind : uint8_t {
  prestart,
  create_runtime,
  create_container,
  start_container,
  poststart,
  poststop
};
inline constexpr int kHookKinds = 6;
// The config.json key: "createRuntime".
std::string_view hook_key(HookKind k);

struct Hooks {
  std::vector<Hook> of[kHookKinds];
  const std::vector<Hook>& operator[](HookKind k) const { return of[int(k)]; }
  bool any() const;
  // Hooks the runtime runs after create (poststart, poststop): the record
  // notes them so start and delete read config.json only then.
  bool after_create() const;
};

}  // namespace ringc
