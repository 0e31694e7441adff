// The OCI state JSON (runtime-spec "state") and runc's list entries,
// produced from a record view; no JSON is parsed on the way.
#pragma once

#include <string>

#include "core/base/json_quote.h"
#include "core/store/record.h"
#include "fsm/lifecycle.h"

namespace ringc {

// status is the observed state; created is RFC 3339 with nanoseconds.
// pretty: runc's two-space indented form (`state`); else one line (`list`).
// oom_kills: the kernel's count of OOM kills in the container's cgroup,
// shown as "oomKills" when there were any.
std::string state_json(const RecordView& r, fsm::State status, bool pretty, bool owner_name,
                       uint64_t oom_kills = 0);
std::string format_created(int64_t ns);
std::string owner_name(uint32_t uid);
// The pid shown to users: 0 once the process has stopped, as runc does.
int shown_pid(const RecordView& r, fsm::State status);

}  // namespace ringc
