// linux.resources → cgroup::Resources, each error naming its field.
#include <fcntl.h>
#include <unistd.h>

#include "core/spec/spec.h"
#include "core/spec/spec_reader.h"

namespace ringc {

using spec_detail::element;
using spec_detail::object;
using spec_detail::Reader;

Result<cgroup::Resources> parse_resources(const Reader& r, object o, const std::string& base) {
  cgroup::Resources res;
  auto i64 = [&](object parent, const char* key, std::string ptr,
                 std::optional<int64_t>& dst) -> Result<void> {
    if (auto e = Reader::field(parent, key)) {
      RINGC_TRY(dst, r.integer(*e, ptr + "/" + key, -1, INT64_MAX));
    }
    return outcome::success();
  };
  auto u64 = [&](object parent, const char* key, std::string ptr,
                 std::optional<uint64_t>& dst) -> Result<void> {
    if (auto e = Reader::field(parent, key)) {
      RINGC_TRY(dst, r.u64(*e, ptr + "/" + key));
    }
    return outcome::success();
  };
  if (auto e = Reader::field(o, "memory")) {
    const std::string p = base + "/memory";
    RINGC_TRY(auto m, r.obj(*e, p));
    RINGC_TRY(i64(m, "limit", p, res.memory_limit));
    RINGC_TRY(i64(m, "reservation", p, res.memory_reservation));
    RINGC_TRY(i64(m, "swap", p, res.memory_swap));
    RINGC_TRY(u64(m, "swappiness", p, res.memory_swappiness));
    RINGC_TRY(i64(m, "kernel", p, res.memory_kernel));
    RINGC_TRY(i64(m, "kernelTCP", p, res.memory_kernel_tcp));
    if (res.memory_swappiness && *res.memory_swappiness > 100)
      return r.fail(p + "/swappiness", "must be between 0 and 100");
    if (auto f = Reader::field(m, "disableOOMKiller")) {
      RINGC_TRY(res.disable_oom_killer, r.boolean(*f, p + "/disableOOMKiller"));
    }
    if (res.memory_limit && res.memory_swap && *res.memory_swap >= 0 &&
        *res.memory_swap < *res.memory_limit)
      return r.fail(p + "/swap", "is memory+swap and must not be below limit");
  }
  if (auto e = Reader::field(o, "pids")) {
    RINGC_TRY(auto pobj, r.obj(*e, base + "/pids"));
    auto l = Reader::field(pobj, "limit");
    if (!l) return r.fail(base + "/pids/limit", "is required");
    RINGC_TRY(res.pids_limit, r.integer(*l, base + "/pids/limit", INT64_MIN, INT64_MAX));
  }
  if (auto e = Reader::field(o, "cpu")) {
    const std::string p = base + "/cpu";
    RINGC_TRY(auto c, r.obj(*e, p));
    RINGC_TRY(u64(c, "shares", p, res.cpu_shares));
    RINGC_TRY(u64(c, "period", p, res.cpu_period));
    RINGC_TRY(i64(c, "quota", p, res.cpu_quota));
    RINGC_TRY(u64(c, "burst", p, res.cpu_burst));
    RINGC_TRY(u64(c, "realtimePeriod", p, res.cpu_rt_period));
    RINGC_TRY(i64(c, "realtimeRuntime", p, res.cpu_rt_runtime));
    if (auto f = Reader::field(c, "idle")) {
      RINGC_TRY(res.cpu_idle, r.integer(*f, p + "/idle", 0, 1));
    }
    if (auto f = Reader::field(c, "cpus")) {
      RINGC_TRY(res.cpus, r.str(*f, p + "/cpus"));
    }
    if (auto f = Reader::field(c, "mems")) {
      RINGC_TRY(res.mems, r.str(*f, p + "/mems"));
    }
  }
  if (auto e = Reader::field(o, "devices")) {
    RINGC_TRY(auto a, r.arr(*e, base + "/devices"));
    size_t i = 0;
    for (element x : a) {
      std::string p = fmt::format("{}/devices/{}", base, i++);
      RINGC_TRY(auto d, r.obj(x, p));
      cgroup::DeviceRule rule;
      auto allow = Reader::field(d, "allow");
      if (!allow) return r.fail(p + "/allow", "is required");
      RINGC_TRY(rule.allow, r.boolean(*allow, p + "/allow"));
      if (auto f = Reader::field(d, "type")) {
        std::string t;  // declared apart: GCC 12 misreads the TRY temporary as uninitialised
        RINGC_TRY(t, r.str(*f, p + "/type"));
        if (t.size() != 1 || (t[0] != 'a' && t[0] != 'c' && t[0] != 'b'))
          return r.fail(p + "/type", "must be a, c or b");
        rule.type = t[0];
      }
      if (auto f = Reader::field(d, "major")) {
        RINGC_TRY(rule.major, r.integer(*f, p + "/major", -1, INT32_MAX));
      }
      if (auto f = Reader::field(d, "minor")) {
        RINGC_TRY(rule.minor, r.integer(*f, p + "/minor", -1, INT32_MAX));
      }
      if (auto f = Reader::field(d, "access")) {
        RINGC_TRY(rule.access, r.str(*f, p + "/access"));
        if (rule.access.empty() || rule.access.find_first_not_of("rwm") != std::string::npos)
          return r.fail(p + "/access", "must be made of r, w and m");
      }
      res.devices.push_back(std::move(rule));
    }
  }
  if (auto e = Reader::field(o, "blockIO")) {
    const std::string p = base + "/blockIO";
    RINGC_TRY(auto b, r.obj(*e, p));
    if (auto f = Reader::field(b, "weight")) {
      RINGC_TRY(auto w, r.integer(*f, p + "/weight", 10, 1000));
      res.block_io.weight = uint64_t(w);
    }
    auto devices = [&](const char* key, const char* value_key, int64_t lo, int64_t hi,
                       std::vector<cgroup::DeviceRate>& dst) -> Result<void> {
      auto f = Reader::field(b, key);
      if (!f) return outcome::success();
      std::string lp = p + "/" + key;
      RINGC_TRY(auto a, r.arr(*f, lp));
      size_t i = 0;
      for (element x : a) {
        std::string ep = fmt::format("{}/{}", lp, i++);
        RINGC_TRY(auto d, r.obj(x, ep));
        cgroup::DeviceRate rate;
        auto maj = Reader::field(d, "major"), min = Reader::field(d, "minor"),
             val = Reader::field(d, value_key);
        if (!maj || !min) return r.fail(ep, "major and minor are required");
        if (!val) return r.fail(ep + "/" + value_key, "is required");
        RINGC_TRY(rate.major, r.integer(*maj, ep + "/major", 0, INT32_MAX));
        RINGC_TRY(rate.minor, r.integer(*min, ep + "/minor", 0, INT32_MAX));
        RINGC_TRY(auto v, r.integer(*val, ep + "/" + value_key, lo, hi));
        rate.rate = uint64_t(v);
        dst.push_back(rate);
      }
      return outcome::success();
    };
    RINGC_TRY(devices("weightDevice", "weight", 10, 1000, res.block_io.weight_device));
    RINGC_TRY(devices("throttleReadBpsDevice", "rate", 0, INT64_MAX, res.block_io.read_bps));
    RINGC_TRY(devices("throttleWriteBpsDevice", "rate", 0, INT64_MAX, res.block_io.write_bps));
    RINGC_TRY(devices("throttleReadIOPSDevice", "rate", 0, INT64_MAX, res.block_io.read_iops));
    RINGC_TRY(devices("throttleWriteIOPSDevice", "rate", 0, INT64_MAX, res.block_io.write_iops));
  }
  if (auto e = Reader::field(o, "hugepageLimits")) {
    RINGC_TRY(auto a, r.arr(*e, base + "/hugepageLimits"));
    size_t i = 0;
    for (element x : a) {
      std::string p = fmt::format("{}/hugepageLimits/{}", base, i++);
      RINGC_TRY(auto h, r.obj(x, p));
      auto size = Reader::field(h, "pageSize"), limit = Reader::field(h, "limit");
      if (!size) return r.fail(p + "/pageSize", "is required");
      if (!limit) return r.fail(p + "/limit", "is required");
      RINGC_TRY(auto s, r.str(*size, p + "/pageSize"));
      // The kernel's names: "64KB", "2MB", "1GB".
      size_t digits = s.find_first_not_of("0123456789");
      std::string unit = digits == std::string::npos ? "" : s.substr(digits);
      if (digits == 0 || (unit != "KB" && unit != "MB" && unit != "GB"))
        return r.fail(p + "/pageSize", fmt::format("\"{}\" is not a page size like 2MB", s));
      RINGC_TRY(auto l, r.u64(*limit, p + "/limit"));
      res.hugepage_limits.emplace_back(s, l);
    }
  }
  if (auto e = Reader::field(o, "network")) {
    RINGC_TRY(auto n, r.obj(*e, base + "/network"));
    if (auto c = Reader::field(n, "classID")) {
      RINGC_TRY(auto v, r.integer(*c, base + "/network/classID", 0, UINT32_MAX));
      res.net_class_id = uint32_t(v);
    }
    if (auto pr = Reader::field(n, "priorities")) {
      RINGC_TRY(auto a, r.arr(*pr, base + "/network/priorities"));
      size_t i = 0;
      for (element x : a) {
        std::string p = fmt::format("{}/network/priorities/{}", base, i++);
        RINGC_TRY(auto po, r.obj(x, p));
        auto name = Reader::field(po, "name"), prio = Reader::field(po, "priority");
        if (!name) return r.fail(p + "/name", "is required");
        if (!prio) return r.fail(p + "/priority", "is required");
        RINGC_TRY(auto ifname, r.str(*name, p + "/name"));
        if (ifname.empty() || ifname.find_first_of(" /\n") != std::string::npos)
          return r.fail(p + "/name", "must be an interface name");
        RINGC_TRY(auto v, r.integer(*prio, p + "/priority", 0, UINT32_MAX));
        res.net_priorities.emplace_back(ifname, uint32_t(v));
      }
    }
  }
  if (auto e = Reader::field(o, "unified")) {
    RINGC_TRY(res.unified, r.string_map(*e, base + "/unified"));
    for (auto& [key, value] : res.unified)
      if (key.find('/') != std::string::npos || key.find("..") != std::string::npos)
        return r.fail(base + "/unified/" + key, "must name a file of the cgroup");
  }
  return res;
}

Result<cgroup::Resources> load_resources(const std::string& path) {
  RINGC_TRY(auto text, read_file(path));
  return resources_from_json(text, path == "-" ? "resources (stdin)" : path);
}

Result<cgroup::Resources> resources_from_json(std::string_view text, std::string_view name) {
  json::Document doc;
  if (std::string why; !doc.parse(text, &why))
    return ringc_error(Errc::bad_spec, fmt::format("{}: not valid JSON: {}", name, why));
  Reader r(name);
  RINGC_TRY(auto o, r.obj(doc.root(), "/"));
  return parse_resources(r, o, "");
}

}  // namespace ringc
