#include "core/verbs/on_engine.h"

#include <fmt/format.h>

#include "core/base/id.h"
#include "core/engine/engine.h"
#include "core/store/observe.h"
#include "core/verbs/container.h"
#include "ring/ops.h"
#include "ring/token.h"

namespace ringc {

namespace {
// Longer than any wait of the engine's own (a freeze's 10 s, a kill's, an
// init's setup).
constexpr std::chrono::milliseconds kAnswerDeadline{30'000};

}  // namespace

EngineOptions one_shot(const Runtime& rt, bool record_adopted_exits) {
  return {.ring_entries = rt.ring_entries,
          .spawner = false,
          .inline_files = true,
          .record_adopted_exits = record_adopted_exits};
}

void note_phases(Runtime& rt, const Engine& engine) {
  const EngineStats& st = engine.stats();
  for (int p = 0; p < kPhaseCount; ++p)
    if (st.phase_ns[p]) rt.timeline.add(name(Phase(p)).data(), uint32_t(st.phase_ns[p] / 1000));
  for (int k = 0; k < kChildPhaseCount; ++k)
    if (st.init_us[k]) rt.timeline.add(kChildPhases[k], st.init_us[k]);
}

Result<void> until_answered(Engine& engine, const std::optional<Answer>& answered,
                            std::string_view id, std::string_view what, bool deadline) {
  if (!deadline) {
    while (!answered) {
      RINGC_TRY(engine.step());
    }
    return outcome::success();
  }
  RINGC_TRY(auto ring, engine.ring());
  const uint64_t deadline_tag = ring::Token{0, 0, ring::kOtherTagBase + 1}.pack();
  bool expired = false;
  engine.on_other = [&](const ring::Completion& c) { expired |= c.user_data == deadline_tag; };
  auto ts = ring::to_timespec(kAnswerDeadline);
  ring::prep_timeout(*ring, deadline_tag, &ts);
  while (!answered && !expired) {
    RINGC_TRY(engine.step());
  }
  if (!expired) (void)ring::cancel_now(*ring, deadline_tag);
  engine.on_other = nullptr;
  if (!answered)
    return ringc_error(Errc::timed_out, fmt::format("container \"{}\": no answer to {} after {} s",
                                                    id, what, kAnswerDeadline.count() / 1000));
  return outcome::success();
}

Result<pid_t> launch_on_engine(Runtime& rt, LaunchRequest req, Until until) {
  Engine engine(rt, one_shot(rt, true));
  std::string id = req.id;
  Awaiting wait{until, kNoExitYet, {}};
  std::optional<Answer> answered;
  engine.on_notice = [&](const Notice& n) {
    if (!answered) answered = answer(wait, n);
  };
  RINGC_TRY(engine.launch(std::move(req)));
  RINGC_TRY(until_answered(engine, answered, id, "create", false));
  note_phases(rt, engine);
  if (!answered->ok) return ringc_error(Errc::failed, answered->error);
  auto v = engine.view(id);
  return v ? v->pid : pid_t(-1);
}

Result<Answer> on_engine(Runtime& rt, std::string_view id, fsm::Event e, int sig,
                         std::optional<Until> until, const MakeRequest& make) {
  RINGC_TRY(validate_id(id));
  bool removing = e == fsm::Event::remove || e == fsm::Event::force_remove;
  Engine engine(rt, one_shot(rt, !removing));
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
  if (wait && !answered) {
    RINGC_TRY(until_answered(engine, answered, id, fsm::name(e)));
  }
  note_phases(rt, engine);
  if (answered && !answered->ok) return ringc_error(Errc::failed, answered->error);
  return answered.value_or(Answer{});
}

}  // namespace ringc
