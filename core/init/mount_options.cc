// Mount options as config.json spells them (runc's set): mount(2)
// flags, propagation, runc's recursive mount_setattr options, and the few
// that are ringc's to act on (bind, rbind, tmpcopyup, idmap, ridmap).
#include <sys/mount.h>

#include "core/init/rootfs.h"

namespace ringc {

namespace {
struct OptFlag {
  std::string_view name;
  bool clear;
  unsigned long flag;
};
constexpr OptFlag kFlags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"atime", true, MS_NOATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"diratime", true, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"defaults", false, 0},
};
// runc's recursive options (mount_setattr with AT_RECURSIVE, kernel 5.12):
// they reach every submount of a bind too. The flag is a MOUNT_ATTR_*;
// for the atime ones the whole atime field is cleared first.
constexpr OptFlag kRecursive[] = {
    {"rro", false, MOUNT_ATTR_RDONLY},
    {"rrw", true, MOUNT_ATTR_RDONLY},
    {"rnosuid", false, MOUNT_ATTR_NOSUID},
    {"rsuid", true, MOUNT_ATTR_NOSUID},
    {"rnodev", false, MOUNT_ATTR_NODEV},
    {"rdev", true, MOUNT_ATTR_NODEV},
    {"rnoexec", false, MOUNT_ATTR_NOEXEC},
    {"rexec", true, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    {"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    {"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
    {"rrelatime", false, MOUNT_ATTR_RELATIME},
    {"rnorelatime", true, MOUNT_ATTR_RELATIME},
    {"rnoatime", false, MOUNT_ATTR_NOATIME},
    {"ratime", true, MOUNT_ATTR_NOATIME},
    {"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    {"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
};
constexpr uint64_t kAtimeAttrs = MOUNT_ATTR_RELATIME | MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME;

constexpr OptFlag kPropagation[] = {
    {"private", false, MS_PRIVATE},       {"rprivate", false, MS_PRIVATE | MS_REC},
    {"shared", false, MS_SHARED},         {"rshared", false, MS_SHARED | MS_REC},
    {"slave", false, MS_SLAVE},           {"rslave", false, MS_SLAVE | MS_REC},
    {"unbindable", false, MS_UNBINDABLE}, {"runbindable", false, MS_UNBINDABLE | MS_REC},
};
}  // namespace

std::vector<std::string_view> mount_option_names() {
  std::vector<std::string_view> out = {"bind", "rbind", "tmpcopyup", "idmap", "ridmap"};
  for (auto& f : kFlags) out.push_back(f.name);
  for (auto& f : kPropagation) out.push_back(f.name);
  for (auto& f : kRecursive) out.push_back(f.name);
  return out;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions o;
  for (auto& opt : options) {
    if (opt == "tmpcopyup") {
      o.copy_up = true;
      continue;
    }
    if (opt == "idmap" || opt == "ridmap") continue;  // Mount::idmap: the parent's part
    if (opt == "bind" || opt == "rbind") {
      o.bind = true;
      o.flags |= MS_BIND | (opt == "rbind" ? MS_REC : 0);
      continue;
    }
    bool known = false;
    for (auto& f : kFlags) {
      if (f.name != opt) continue;
      known = true;
      if (f.clear) {
        o.flags &= ~f.flag;
        o.clear |= f.flag;
      } else {
        o.flags |= f.flag;
      }
    }
    for (auto& p : kPropagation)
      if (p.name == opt) {
        known = true;
        o.propagation = p.flag;
      }
    for (auto& r : kRecursive) {
      if (r.name != opt) continue;
      known = true;
      // MOUNT_ATTR_RELATIME is 0: the atime options are one field's values.
      if (r.flag == MOUNT_ATTR_RELATIME || (r.flag & kAtimeAttrs)) {
        o.rec_clear |= MOUNT_ATTR__ATIME;
        o.rec_set &= ~kAtimeAttrs;
        if (!r.clear) o.rec_set |= r.flag;
      } else if (r.clear) {
        o.rec_set &= ~r.flag;
        o.rec_clear |= r.flag;
      } else {
        o.rec_set |= r.flag;
        o.rec_clear &= ~r.flag;
      }
    }
    if (!known) {
      if (!o.data.empty()) o.data += ',';
      o.data += opt;
    }
  }
  return o;
}

}  // namespace ringc
