// `ringc spec --rootless`: runc's rootless changes made to the default
// config's text (so the two cannot drift apart), as runc's specconv does
// to its example spec.
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "core/spec/spec.h"

namespace ringc {

namespace {
// Replaces the one occurrence of `from`; the default text is ours, so a
// miss is a bug that the unit test names.
void swap_in(std::string& text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
}
}  // namespace

std::string rootless_spec_json(unsigned uid, unsigned gid) {
  std::string s = root_spec_json();
  // No network namespace (an unprivileged user could not give it a
  // device); a user namespace mapping the caller to root.
  swap_in(s, "\t\t\t{\n\t\t\t\t\"type\": \"network\"\n\t\t\t},\n", "");
  swap_in(s, "\t\t\t{\n\t\t\t\t\"type\": \"cgroup\"\n\t\t\t}\n\t\t],",
          "\t\t\t{\n\t\t\t\t\"type\": \"cgroup\"\n\t\t\t},\n\t\t\t{\n\t\t\t\t\"type\": "
          "\"user\"\n\t\t\t}\n\t\t],");
  swap_in(s, "\t\t\"maskedPaths\": [",
          fmt::format("\t\t\"uidMappings\": [\n\t\t\t{{\n\t\t\t\t\"containerID\": 0,\n\t\t\t\t"
                      "\"hostID\": {},\n\t\t\t\t\"size\": 1\n\t\t\t}}\n\t\t],\n"
                      "\t\t\"gidMappings\": [\n\t\t\t{{\n\t\t\t\t\"containerID\": 0,\n\t\t\t\t"
                      "\"hostID\": {},\n\t\t\t\t\"size\": 1\n\t\t\t}}\n\t\t],\n"
                      "\t\t\"maskedPaths\": [",
                      uid, gid));
  // sysfs cannot be mounted without the network namespace's owner: bound.
  swap_in(s,
          "\t\t\t\"destination\": \"/sys\",\n\t\t\t\"type\": \"sysfs\",\n\t\t\t\"source\": "
          "\"sysfs\",\n\t\t\t\"options\": [\n",
          "\t\t\t\"destination\": \"/sys\",\n\t\t\t\"type\": \"none\",\n\t\t\t\"source\": "
          "\"/sys\",\n\t\t\t\"options\": [\n\t\t\t\t\"rbind\",\n");
  // Ids in mount options name the host's, which the namespace may not map.
  swap_in(s, ",\n\t\t\t\t\"gid=5\"", "");
  // Resources need a cgroup the user may write: none by default.
  swap_in(s,
          "\t\t\"resources\": {\n\t\t\t\"devices\": [\n\t\t\t\t{\n\t\t\t\t\t\"allow\": false,\n"
          "\t\t\t\t\t\"access\": \"rwm\"\n\t\t\t\t}\n\t\t\t]\n\t\t},\n",
          "");
  return s;
}

}  // namespace ringc
