#include "core/pool/confined.h"

#include <fmt/format.h>

namespace ringc {

std::optional<std::string> unconfined(const Spec& spec,
                                      std::initializer_list<std::pair<int, const char*>> caps) {
  const Namespace* pid = spec.linux_cfg.find(NsType::pid);
  if (!pid || !pid->path.empty())
    return "it has no pid namespace of its own (a process of it could outlive its init)";
  if (spec.linux_cfg.find(NsType::user)) return "it has a user namespace";
  const auto& c = spec.process.capabilities;
  if (!c) return "/process/capabilities is absent (every capability is kept)";
  const uint64_t any = c->bounding | c->effective | c->permitted | c->inheritable | c->ambient;
  for (auto [cap, what] : caps)
    if (any & (uint64_t(1) << cap)) return fmt::format("it may have {}", what);
  return std::nullopt;
}

}  // namespace ringc
