// config.json → Spec, read through core/json. Every check names the field's
// JSON pointer. Unknown properties are ignored, as the spec requires.
#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/manager.h"
#include "core/spec/spec.h"
#include "core/spec/spec_reader.h"

namespace ringc {

namespace {
using spec_detail::array;
using spec_detail::element;
using spec_detail::object;
using spec_detail::Reader;

Result<Capabilities> parse_caps(const Reader& r, object o) {
  Capabilities c;
  struct Set {
    const char* key;
    uint64_t* dst;
  } sets[] = {{"bounding", &c.bounding},
              {"effective", &c.effective},
              {"permitted", &c.permitted},
              {"inheritable", &c.inheritable},
              {"ambient", &c.ambient}};
  for (auto& s : sets) {
    auto e = Reader::field(o, s.key);
    if (!e) continue;
    std::string ptr = fmt::format("/process/capabilities/{}", s.key);
    RINGC_TRY(auto names, r.strings(*e, ptr));
    uint64_t mask = 0;
    for (auto& n : names) {
      int bit = capability_number(n);
      if (bit < 0) return r.fail(ptr, fmt::format("unknown capability \"{}\"", n));
      mask |= uint64_t(1) << bit;
    }
    *s.dst = mask;
  }
  return c;
}

Result<User> parse_user(const Reader& r, object o) {
  User u;
  if (auto e = Reader::field(o, "uid")) {
    RINGC_TRY(auto v, r.integer(*e, "/process/user/uid", 0, UINT32_MAX - 1));
    u.uid = uid_t(v);
  }
  if (auto e = Reader::field(o, "gid")) {
    RINGC_TRY(auto v, r.integer(*e, "/process/user/gid", 0, UINT32_MAX - 1));
    u.gid = gid_t(v);
  }
  if (auto e = Reader::field(o, "umask")) {
    RINGC_TRY(auto v, r.integer(*e, "/process/user/umask", 0, 0777));
    u.umask = mode_t(v);
  }
  if (auto e = Reader::field(o, "additionalGids")) {
    RINGC_TRY(auto a, r.arr(*e, "/process/user/additionalGids"));
    for (element g : a) {
      RINGC_TRY(auto v, r.integer(g, "/process/user/additionalGids", 0, UINT32_MAX - 1));
      u.additional_gids.push_back(gid_t(v));
    }
  }
  return u;
}

Result<Process> parse_process(const Reader& r, object o) {
  Process p;
  if (auto e = Reader::field(o, "terminal")) {
    RINGC_TRY(p.terminal, r.boolean(*e, "/process/terminal"));
  }
  if (auto e = Reader::field(o, "consoleSize")) {
    RINGC_TRY(auto co, r.obj(*e, "/process/consoleSize"));
    ConsoleSize cs;
    auto h = Reader::field(co, "height"), w = Reader::field(co, "width");
    if (!h || !w) return r.fail("/process/consoleSize", "height and width are required");
    RINGC_TRY(auto hv, r.integer(*h, "/process/consoleSize/height", 0, UINT16_MAX));
    RINGC_TRY(auto wv, r.integer(*w, "/process/consoleSize/width", 0, UINT16_MAX));
    cs.height = uint32_t(hv);
    cs.width = uint32_t(wv);
    p.console_size = cs;
  }
  if (auto e = Reader::field(o, "user")) {
    RINGC_TRY(auto uo, r.obj(*e, "/process/user"));
    RINGC_TRY(p.user, parse_user(r, uo));
  }
  auto args = Reader::field(o, "args");
  constexpr const char* kArgs = "must be a non-empty array of strings";
  if (!args) return r.fail("/process/args", kArgs);
  {
    array a;
    if (!args->get(a) || a.size() == 0) return r.fail("/process/args", kArgs);
    for (element x : a) {
      std::string_view s;
      if (!x.get(s)) return r.fail("/process/args", kArgs);
      p.args.emplace_back(s);
    }
    if (p.args[0].empty()) return r.fail("/process/args", "the program (args[0]) is empty");
  }
  if (auto e = Reader::field(o, "env")) {
    RINGC_TRY(p.env, r.strings(*e, "/process/env"));
    for (auto& v : p.env)
      if (v.find('=') == std::string::npos)
        return r.fail("/process/env", fmt::format("\"{}\" is not of the form KEY=value", v));
  }
  auto cwd = Reader::field(o, "cwd");
  if (!cwd) return r.fail("/process/cwd", "is required");
  RINGC_TRY(p.cwd, r.str(*cwd, "/process/cwd"));
  if (p.cwd.empty() || p.cwd[0] != '/') return r.fail("/process/cwd", "must be an absolute path");
  if (auto e = Reader::field(o, "capabilities")) {
    RINGC_TRY(auto co, r.obj(*e, "/process/capabilities"));
    RINGC_TRY(p.capabilities, parse_caps(r, co));
  }
  if (auto e = Reader::field(o, "rlimits")) {
    RINGC_TRY(auto a, r.arr(*e, "/process/rlimits"));
    size_t i = 0;
    for (element x : a) {
      std::string ptr = fmt::format("/process/rlimits/{}", i++);
      RINGC_TRY(auto lo, r.obj(x, ptr));
      auto type = Reader::field(lo, "type");
      if (!type) return r.fail(ptr + "/type", "is required");
      RINGC_TRY(auto tname, r.str(*type, ptr + "/type"));
      int res = rlimit_number(tname);
      if (res < 0) return r.fail(ptr + "/type", fmt::format("unknown rlimit \"{}\"", tname));
      Rlimit rl{res, 0, 0};
      auto soft = Reader::field(lo, "soft"), hard = Reader::field(lo, "hard");
      if (!soft || !hard) return r.fail(ptr, "soft and hard are required");
      RINGC_TRY(rl.soft, r.u64(*soft, ptr + "/soft"));
      RINGC_TRY(rl.hard, r.u64(*hard, ptr + "/hard"));
      if (rl.soft > rl.hard) return r.fail(ptr, "soft limit exceeds hard limit");
      p.rlimits.push_back(rl);
    }
  }
  if (auto e = Reader::field(o, "noNewPrivileges")) {
    RINGC_TRY(p.no_new_privileges, r.boolean(*e, "/process/noNewPrivileges"));
  }
  if (auto e = Reader::field(o, "oomScoreAdj")) {
    RINGC_TRY(auto v, r.integer(*e, "/process/oomScoreAdj", -1000, 1000));
    p.oom_score_adj = int(v);
  }
  RINGC_TRY(parse_process_extras(r, o, p));
  return p;
}

Result<std::vector<IdMapping>> parse_idmap(const Reader& r, element e, std::string_view ptr) {
  RINGC_TRY(auto a, r.arr(e, ptr));
  std::vector<IdMapping> out;
  size_t i = 0;
  for (element x : a) {
    std::string p = fmt::format("{}/{}", ptr, i++);
    RINGC_TRY(auto o, r.obj(x, p));
    IdMapping m{};
    const char* keys[] = {"containerID", "hostID", "size"};
    uint32_t* dst[] = {&m.container_id, &m.host_id, &m.size};
    for (int k = 0; k < 3; ++k) {
      auto f = Reader::field(o, keys[k]);
      if (!f) return r.fail(p + "/" + keys[k], "is required");
      RINGC_TRY(auto v, r.integer(*f, p + "/" + keys[k], 0, UINT32_MAX));
      *dst[k] = uint32_t(v);
    }
    out.push_back(m);
  }
  return out;
}

// An id-mapped mount is a bind with both maps, or the idmap option alone
// (the container's maps, checked with linux below), as runc 1.2 takes it.
Result<void> check_idmapped(const Reader& r, Mount& m, const std::string& ptr) {
  bool bind = m.type == "bind";
  for (auto& o : m.options) {
    bind |= o == "bind" || o == "rbind";
    m.idmap_recursive |= o == "ridmap";
    m.idmap |= o == "idmap" || o == "ridmap";
  }
  bool uids = !m.uid_mappings.empty(), gids = !m.gid_mappings.empty();
  m.idmap |= uids || gids;
  if (!m.idmap) return outcome::success();
  if (!bind) return r.fail(ptr + "/options", "id-mapped mounts are only supported for bind mounts");
  if (uids != gids)
    return r.fail(ptr + (uids ? "/gidMappings" : "/uidMappings"),
                  "an id-mapped mount needs both uidMappings and gidMappings");
  return outcome::success();
}

Result<std::vector<Mount>> parse_mounts(const Reader& r, array a) {
  std::vector<Mount> out;
  size_t i = 0;
  for (element x : a) {
    std::string ptr = fmt::format("/mounts/{}", i++);
    RINGC_TRY(auto mo, r.obj(x, ptr));
    Mount m;
    auto dst = Reader::field(mo, "destination");
    if (!dst) return r.fail(ptr + "/destination", "is required");
    RINGC_TRY(m.destination, r.str(*dst, ptr + "/destination"));
    if (m.destination.empty() || m.destination[0] != '/')
      return r.fail(ptr + "/destination", "must be an absolute path");
    if (auto e = Reader::field(mo, "type")) {
      RINGC_TRY(m.type, r.str(*e, ptr + "/type"));
    }
    if (auto e = Reader::field(mo, "source")) {
      RINGC_TRY(m.source, r.str(*e, ptr + "/source"));
    }
    if (auto e = Reader::field(mo, "options")) {
      RINGC_TRY(m.options, r.strings(*e, ptr + "/options"));
    }
    if (auto e = Reader::field(mo, "uidMappings")) {
      RINGC_TRY(m.uid_mappings, parse_idmap(r, *e, ptr + "/uidMappings"));
    }
    if (auto e = Reader::field(mo, "gidMappings")) {
      RINGC_TRY(m.gid_mappings, parse_idmap(r, *e, ptr + "/gidMappings"));
    }
    RINGC_TRY(check_idmapped(r, m, ptr));
    out.push_back(std::move(m));
  }
  return out;
}

Result<Linux> parse_linux(const Reader& r, object o) {
  Linux l;
  if (auto e = Reader::field(o, "namespaces")) {
    RINGC_TRY(auto a, r.arr(*e, "/linux/namespaces"));
    size_t i = 0;
    bool seen[kNsTypeCount] = {};
    for (element x : a) {
      std::string ptr = fmt::format("/linux/namespaces/{}", i++);
      RINGC_TRY(auto no, r.obj(x, ptr));
      auto t = Reader::field(no, "type");
      if (!t) return r.fail(ptr + "/type", "is required");
      RINGC_TRY(auto tname, r.str(*t, ptr + "/type"));
      std::optional<NsType> type;
      for (int k = 0; k < kNsTypeCount; ++k)
        if (ns_name(NsType(k)) == tname) type = NsType(k);
      if (!type) return r.fail(ptr + "/type", fmt::format("unknown namespace type \"{}\"", tname));
      if (seen[int(*type)]) return r.fail(ptr + "/type", fmt::format("duplicate \"{}\"", tname));
      seen[int(*type)] = true;
      Namespace ns{*type, {}};
      if (auto p = Reader::field(no, "path")) {
        RINGC_TRY(ns.path, r.str(*p, ptr + "/path"));
        if (!ns.path.empty() && ns.path[0] != '/')
          return r.fail(ptr + "/path", "must be an absolute path");
      }
      l.namespaces.push_back(std::move(ns));
    }
  }
  if (auto e = Reader::field(o, "uidMappings")) {
    RINGC_TRY(l.uid_mappings, parse_idmap(r, *e, "/linux/uidMappings"));
  }
  if (auto e = Reader::field(o, "gidMappings")) {
    RINGC_TRY(l.gid_mappings, parse_idmap(r, *e, "/linux/gidMappings"));
  }
  if (auto e = Reader::field(o, "cgroupsPath")) {
    RINGC_TRY(l.cgroups_path, r.str(*e, "/linux/cgroupsPath"));
    // Above the hierarchy's root, or out of /ringc for a relative path.
    if (cgroup::climbs(l.cgroups_path))
      return r.fail("/linux/cgroupsPath",
                    fmt::format("\"{}\" must not contain \"..\"", l.cgroups_path));
  }
  if (auto e = Reader::field(o, "resources")) {
    RINGC_TRY(auto ro, r.obj(*e, "/linux/resources"));
    RINGC_TRY(l.resources, parse_resources(r, ro, "/linux/resources"));
  }
  if (auto e = Reader::field(o, "rootfsPropagation")) {
    RINGC_TRY(l.rootfs_propagation, r.str(*e, "/linux/rootfsPropagation"));
    static constexpr std::string_view kOk[] = {"",         "shared",     "slave",
                                               "private",  "rshared",    "rslave",
                                               "rprivate", "unbindable", "runbindable"};
    bool ok = false;
    for (auto v : kOk) ok |= v == l.rootfs_propagation;
    if (!ok)
      return r.fail("/linux/rootfsPropagation",
                    fmt::format("unknown propagation \"{}\"", l.rootfs_propagation));
  }
  if (auto e = Reader::field(o, "maskedPaths")) {
    RINGC_TRY(l.masked_paths, r.strings(*e, "/linux/maskedPaths"));
  }
  if (auto e = Reader::field(o, "readonlyPaths")) {
    RINGC_TRY(l.readonly_paths, r.strings(*e, "/linux/readonlyPaths"));
  }
  if (auto e = Reader::field(o, "sysctl")) {
    RINGC_TRY(auto kv, r.string_map(*e, "/linux/sysctl"));
    l.sysctl.insert(kv.begin(), kv.end());
  }
  if (auto e = Reader::field(o, "devices")) {
    RINGC_TRY(auto a, r.arr(*e, "/linux/devices"));
    size_t i = 0;
    for (element x : a) {
      std::string ptr = fmt::format("/linux/devices/{}", i++);
      RINGC_TRY(auto d, r.obj(x, ptr));
      Device dev;
      auto p = Reader::field(d, "path");
      if (!p) return r.fail(ptr + "/path", "is required");
      RINGC_TRY(dev.path, r.str(*p, ptr + "/path"));
      if (dev.path.empty() || dev.path[0] != '/') return r.fail(ptr + "/path", "must be absolute");
      auto t = Reader::field(d, "type");
      if (!t) return r.fail(ptr + "/type", "is required");
      RINGC_TRY(auto ts, r.str(*t, ptr + "/type"));
      if (ts != "c" && ts != "b" && ts != "u" && ts != "p")
        return r.fail(ptr + "/type", "must be one of c, b, u, p");
      dev.type = ts[0];
      if (auto f = Reader::field(d, "major")) {
        RINGC_TRY(dev.major, r.integer(*f, ptr + "/major", 0, INT32_MAX));
      }
      if (auto f = Reader::field(d, "minor")) {
        RINGC_TRY(dev.minor, r.integer(*f, ptr + "/minor", 0, INT32_MAX));
      }
      if (auto f = Reader::field(d, "fileMode")) {
        // podman writes the file type too (8630 = S_IFCHR|0666): it must
        // agree with `type`; the permission bits are what is used.
        RINGC_TRY(auto v, r.integer(*f, ptr + "/fileMode", 0, S_IFMT | 07777));
        mode_t kind = mode_t(v) & S_IFMT;
        mode_t want = dev.type == 'b' ? S_IFBLK : dev.type == 'p' ? S_IFIFO : S_IFCHR;
        if (kind != 0 && kind != want)
          return r.fail(ptr + "/fileMode",
                        fmt::format("has file type bits {:o} that disagree with type \"{}\"",
                                    unsigned(kind), dev.type));
        dev.file_mode = mode_t(v) & 07777;
      }
      if (auto f = Reader::field(d, "uid")) {
        RINGC_TRY(auto v, r.integer(*f, ptr + "/uid", 0, UINT32_MAX - 1));
        dev.uid = uid_t(v);
      }
      if (auto f = Reader::field(d, "gid")) {
        RINGC_TRY(auto v, r.integer(*f, ptr + "/gid", 0, UINT32_MAX - 1));
        dev.gid = gid_t(v);
      }
      l.devices.push_back(std::move(dev));
    }
  }
  if (auto e = Reader::field(o, "seccomp")) {
    RINGC_TRY(auto so, r.obj(*e, "/linux/seccomp"));
    RINGC_TRY(l.seccomp, parse_seccomp(r, so));
  }
  RINGC_TRY(parse_linux_extras(r, o, l));
  return l;
}
// A sysctl is only set where the container has the namespace it belongs
// to, so that it cannot change the host (runc's rules).
Result<void> check_sysctls(const Reader& r, const Linux& l) {
  static constexpr std::string_view kIpc[] = {
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
      "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced"};
  for (auto& [key, value] : l.sysctl) {
    std::string k = key;
    for (auto& c : k)
      if (c == '/') c = '.';
    std::string ptr = "/linux/sysctl/" + key;
    auto needs = [&](NsType t, std::string_view what) -> Result<void> {
      if (l.find(t)) return outcome::success();
      return r.fail(ptr, fmt::format("needs a {} namespace of the container's own", what));
    };
    bool ipc = k.starts_with("fs.mqueue.");
    for (auto n : kIpc) ipc |= k == n;
    if (ipc) {
      RINGC_TRY(needs(NsType::ipc, "ipc"));
    } else if (k.starts_with("net.")) {
      RINGC_TRY(needs(NsType::network, "network"));
    } else if (k == "kernel.domainname" || k == "kernel.hostname") {
      RINGC_TRY(needs(NsType::uts, "uts"));
    } else {
      return r.fail(ptr, "is not in a namespace the container can have: it would change the host");
    }
  }
  return outcome::success();
}
}  // namespace

const Namespace* Linux::find(NsType t) const {
  for (auto& n : namespaces)
    if (n.type == t) return &n;
  return nullptr;
}

Result<Spec> parse_spec(std::string_view json, std::string_view file) {
  Reader r(file);
  json::Document doc;
  if (std::string why; !doc.parse(json, &why))
    return ringc_error(Errc::bad_spec, fmt::format("{}: not valid JSON: {}", file, why));
  RINGC_TRY(auto top, r.obj(doc.root(), "/"));
  Spec s;
  auto ver = Reader::field(top, "ociVersion");
  if (!ver) return r.fail("/ociVersion", "is required");
  RINGC_TRY(s.oci_version, r.str(*ver, "/ociVersion"));
  auto root_e = Reader::field(top, "root");
  if (!root_e) return r.fail("/root", "is required");
  RINGC_TRY(auto ro, r.obj(*root_e, "/root"));
  auto rp = Reader::field(ro, "path");
  if (!rp) return r.fail("/root/path", "is required");
  RINGC_TRY(s.root_path, r.str(*rp, "/root/path"));
  if (s.root_path.empty()) return r.fail("/root/path", "must not be empty");
  if (auto e = Reader::field(ro, "readonly")) {
    RINGC_TRY(s.root_readonly, r.boolean(*e, "/root/readonly"));
  }
  auto pe = Reader::field(top, "process");
  if (!pe) return r.fail("/process", "is required");
  RINGC_TRY(auto po, r.obj(*pe, "/process"));
  RINGC_TRY(s.process, parse_process(r, po));
  if (auto e = Reader::field(top, "hostname")) {
    RINGC_TRY(s.hostname, r.str(*e, "/hostname"));
  }
  if (auto e = Reader::field(top, "domainname")) {
    RINGC_TRY(s.domainname, r.str(*e, "/domainname"));
  }
  if (auto e = Reader::field(top, "mounts")) {
    RINGC_TRY(auto a, r.arr(*e, "/mounts"));
    RINGC_TRY(s.mounts, parse_mounts(r, a));
  }
  if (auto e = Reader::field(top, "annotations")) {
    RINGC_TRY(s.annotations, r.string_map(*e, "/annotations"));
  }
  if (auto e = Reader::field(top, "hooks")) {
    RINGC_TRY(auto ho, r.obj(*e, "/hooks"));
    RINGC_TRY(s.hooks, parse_hooks(r, ho));
  }
  if (auto e = Reader::field(top, "linux")) {
    RINGC_TRY(auto lo, r.obj(*e, "/linux"));
    RINGC_TRY(s.linux_cfg, parse_linux(r, lo));
    RINGC_TRY(check_sysctls(r, s.linux_cfg));
  }
  const Namespace* user = s.linux_cfg.find(NsType::user);
  bool mapped = !s.linux_cfg.uid_mappings.empty() || !s.linux_cfg.gid_mappings.empty();
  // One joined by path has its maps; given ones are checked against them.
  if (user && user->path.empty() &&
      (s.linux_cfg.uid_mappings.empty() || s.linux_cfg.gid_mappings.empty()))
    return r.fail("/linux/uidMappings", "a user namespace needs uidMappings and gidMappings");
  if (!user && mapped)
    return r.fail("/linux/uidMappings", "id mappings need a user namespace in linux.namespaces");
  for (size_t i = 0; i < s.mounts.size(); ++i)
    if (s.mounts[i].idmap && s.mounts[i].uid_mappings.empty() && !user)
      return r.fail(fmt::format("/mounts/{}/options", i),
                    "\"idmap\" without the mount's own uidMappings and gidMappings maps ids as "
                    "the container's user namespace does, and it has none");
  if ((!s.hostname.empty() || !s.domainname.empty()) && !s.linux_cfg.find(NsType::uts))
    return r.fail("/hostname", "needs a new uts namespace (linux.namespaces has none)");
  return s;
}

Result<Process> load_process(const std::string& path) {
  RINGC_TRY(auto text, read_file(path));
  Reader r(path);
  json::Document doc;
  if (std::string why; !doc.parse(text, &why))
    return ringc_error(Errc::bad_spec, fmt::format("{}: not valid JSON: {}", path, why));
  RINGC_TRY(auto o, r.obj(doc.root(), "/"));
  return parse_process(r, o);
}

Result<Spec> load_spec(const std::string& bundle) {
  std::string path = bundle + "/config.json";
  RINGC_TRY(auto text, read_file(path));
  return parse_spec(text, path);
}

}  // namespace ringc
