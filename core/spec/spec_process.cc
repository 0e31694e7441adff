// process.scheduler, ioPriority, apparmorProfile, selinuxLabel;
// linux.personality, timeOffsets, mountLabel.
#include <linux/ioprio.h>
#include <sched.h>
#include <sys/personality.h>

#include <fmt/format.h>

#include "core/spec/spec.h"
#include "core/spec/spec_reader.h"

namespace ringc {

namespace {
using spec_detail::element;
using spec_detail::object;
using spec_detail::Reader;

struct Named {
  std::string_view name;
  uint64_t value;
};

// Linux's uapi headers of this Debian lack these two.
constexpr uint64_t kSchedFlagUtilClampMin = 0x20, kSchedFlagUtilClampMax = 0x40;

constexpr Named kPolicies[] = {
    {"SCHED_OTHER", SCHED_OTHER}, {"SCHED_FIFO", SCHED_FIFO}, {"SCHED_RR", SCHED_RR},
    {"SCHED_BATCH", SCHED_BATCH}, {"SCHED_ISO", 4},           {"SCHED_IDLE", SCHED_IDLE},
    {"SCHED_DEADLINE", 6}};
constexpr Named kSchedFlags[] = {{"SCHED_FLAG_RESET_ON_FORK", 0x01},
                                 {"SCHED_FLAG_RECLAIM", 0x02},
                                 {"SCHED_FLAG_DL_OVERRUN", 0x04},
                                 {"SCHED_FLAG_KEEP_POLICY", 0x08},
                                 {"SCHED_FLAG_KEEP_PARAMS", 0x10},
                                 {"SCHED_FLAG_UTIL_CLAMP_MIN", kSchedFlagUtilClampMin},
                                 {"SCHED_FLAG_UTIL_CLAMP_MAX", kSchedFlagUtilClampMax}};
constexpr Named kIoClasses[] = {{"IOPRIO_CLASS_RT", IOPRIO_CLASS_RT},
                                {"IOPRIO_CLASS_BE", IOPRIO_CLASS_BE},
                                {"IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE}};
constexpr Named kDomains[] = {{"LINUX", PER_LINUX}, {"LINUX32", PER_LINUX32}};

template <size_t N>
Result<uint64_t> lookup(const Reader& r, const Named (&table)[N], element e, const std::string& ptr,
                        std::string_view what) {
  RINGC_TRY(auto name, r.str(e, ptr));
  for (auto& n : table)
    if (n.name == name) return n.value;
  return r.fail(ptr, fmt::format("unknown {} \"{}\"", what, name));
}

Result<Scheduler> parse_scheduler(const Reader& r, object o) {
  const std::string base = "/process/scheduler";
  Scheduler s;
  auto policy = Reader::field(o, "policy");
  if (!policy) return r.fail(base + "/policy", "is required");
  RINGC_TRY(auto p, lookup(r, kPolicies, *policy, base + "/policy", "policy"));
  s.policy = int(p);
  if (auto e = Reader::field(o, "nice")) {
    RINGC_TRY(auto v, r.integer(*e, base + "/nice", -20, 19));
    s.nice = int(v);
  }
  if (auto e = Reader::field(o, "priority")) {
    RINGC_TRY(auto v, r.integer(*e, base + "/priority", 0, 99));
    s.priority = int(v);
  }
  if (auto e = Reader::field(o, "flags")) {
    RINGC_TRY(auto a, r.arr(*e, base + "/flags"));
    for (element f : a) {
      RINGC_TRY(auto v, lookup(r, kSchedFlags, f, base + "/flags", "flag"));
      s.flags |= v;
    }
  }
  uint64_t* dst[] = {&s.runtime, &s.deadline, &s.period};
  const char* keys[] = {"runtime", "deadline", "period"};
  for (int k = 0; k < 3; ++k)
    if (auto e = Reader::field(o, keys[k])) {
      RINGC_TRY(*dst[k], r.u64(*e, base + "/" + keys[k]));
    }
  bool realtime = s.policy == SCHED_FIFO || s.policy == SCHED_RR;
  if (!realtime && s.priority != 0)
    return r.fail(base + "/priority", "is only for SCHED_FIFO and SCHED_RR");
  if (realtime && s.priority == 0)
    return r.fail(base + "/priority", "must be 1 to 99 for a realtime policy");
  return s;
}

Result<TimeOffset> parse_offset(const Reader& r, object o, const std::string& ptr) {
  TimeOffset t;
  if (auto e = Reader::field(o, "secs")) {
    RINGC_TRY(t.secs, r.integer(*e, ptr + "/secs", INT64_MIN, INT64_MAX));
  }
  if (auto e = Reader::field(o, "nanosecs")) {
    RINGC_TRY(auto v, r.integer(*e, ptr + "/nanosecs", 0, 999'999'999));
    t.nanosecs = uint32_t(v);
  }
  return t;
}
}  // namespace

Result<void> parse_process_extras(const Reader& r, object o, Process& p) {
  if (auto e = Reader::field(o, "scheduler")) {
    RINGC_TRY(auto so, r.obj(*e, "/process/scheduler"));
    RINGC_TRY(p.scheduler, parse_scheduler(r, so));
  }
  if (auto e = Reader::field(o, "ioPriority")) {
    RINGC_TRY(auto io, r.obj(*e, "/process/ioPriority"));
    IoPriority prio;
    auto k = Reader::field(io, "class");
    if (!k) return r.fail("/process/ioPriority/class", "is required");
    RINGC_TRY(auto kv, lookup(r, kIoClasses, *k, "/process/ioPriority/class", "class"));
    prio.klass = int(kv);
    if (auto f = Reader::field(io, "priority")) {
      RINGC_TRY(auto v, r.integer(*f, "/process/ioPriority/priority", 0, 7));
      prio.priority = int(v);
    }
    p.io_priority = prio;
  }
  if (auto e = Reader::field(o, "apparmorProfile")) {
    RINGC_TRY(p.apparmor_profile, r.str(*e, "/process/apparmorProfile"));
  }
  if (auto e = Reader::field(o, "selinuxLabel")) {
    RINGC_TRY(p.selinux_label, r.str(*e, "/process/selinuxLabel"));
  }
  return outcome::success();
}

Result<void> parse_linux_extras(const Reader& r, object o, Linux& l) {
  if (auto e = Reader::field(o, "personality")) {
    RINGC_TRY(auto po, r.obj(*e, "/linux/personality"));
    auto d = Reader::field(po, "domain");
    if (!d) return r.fail("/linux/personality/domain", "is required");
    RINGC_TRY(auto domain, lookup(r, kDomains, *d, "/linux/personality/domain", "domain"));
    if (auto f = Reader::field(po, "flags")) {
      RINGC_TRY(auto flags, r.strings(*f, "/linux/personality/flags"));
      if (!flags.empty())
        return r.fail("/linux/personality/flags", "no flags are defined by the runtime-spec yet");
    }
    l.personality = domain;
  }
  if (auto e = Reader::field(o, "timeOffsets")) {
    RINGC_TRY(auto to, r.obj(*e, "/linux/timeOffsets"));
    for (auto [key, value] : to) {
      std::string ptr = fmt::format("/linux/timeOffsets/{}", key);
      RINGC_TRY(auto vo, r.obj(value, ptr));
      RINGC_TRY(auto off, parse_offset(r, vo, ptr));
      if (key == "monotonic")
        l.monotonic_offset = off;
      else if (key == "boottime")
        l.boottime_offset = off;
      else
        return r.fail(ptr, "only monotonic and boottime clocks have offsets");
    }
    if (!l.find(NsType::time))
      return r.fail("/linux/timeOffsets", "needs a time namespace (linux.namespaces has none)");
  }
  if (auto e = Reader::field(o, "mountLabel")) {
    RINGC_TRY(l.mount_label, r.str(*e, "/linux/mountLabel"));
  }
  return outcome::success();
}

}  // namespace ringc
