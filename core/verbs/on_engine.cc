#include "core/verbs/on_engine.h"

#include "core/base/id.h"
#include "core/engine/engine.h"
#include "core/store/observe.h"
#include "core/verbs/container.h"

namespace ringc {

Result<Answer> on_engine(Runtime& rt, std::string_view id, fsm::Event e, int sig,
                         std::optional<Until> until, const MakeRequest& make) {
  RINGC_TRY(validate_id(id));
  bool removing = e == fsm::Event::remove || e == fsm::Event::force_remove;
  Engine engine(rt, {.ring_entries = rt.ring_entries, .spawner = false});
  std::optional<Awaiting> wait;
  std::optional<Answer> answered;
  engine.on_notice = [&](const Notice& n) {
    if (wait && !answered) answered = answer(*wait, n);
  };
  auto rec = rt.store().read(id);
  if (!rec) {
    // A record that can't be read still must not leak: --force clears
    // what the id names. As runc, --force on a container that is not there
    // is done already (engines call it after a delete that went through).
    bool force = e == fsm::Event::force_remove;
    if (force && !rt.store().unrecorded_cgroup(id, rec.error())) {
      if (rec.error().is(Errc::not_found)) return Answer{};
      return rec.error();
    }
    if (!force) return rec.error();
    wait = Awaiting{Until::gone, kNoExitYet, {}};
    RINGC_TRY(engine.take_over(id, true));
  } else {
    // Refused as the record and the kernel say it is now, before anything
    // is taken over (a create under way in another process stays its own).
    RINGC_TRY(transition(id, observed_state(rec.value().view()), e));
    if (until) wait = Awaiting{*until, kNoExitYet, {}};
    RINGC_TRY(auto now, engine.adopt(rec.value().view()));
    // Found half-made or half-deleted: taking it over finishes the delete.
    if (!(removing && now == fsm::State::deleting)) {
      RINGC_TRY(make ? make(engine) : engine.request(id, e, sig));
    }
  }
  while (wait && !answered) {
    RINGC_TRY(engine.step());
  }
  if (answered && !answered->ok) return ringc_error(Errc::failed, answered->error);
  return answered.value_or(Answer{});
}

}  // namespace ringc
