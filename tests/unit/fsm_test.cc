// Every cell of the transition table, checked against a listing written
// independently here, and docs/fsm.md checked against the renderer.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#include "fsm/exec.h"
#include "fsm/freezer.h"
#include "fsm/launch.h"
#include "fsm/lifecycle.h"
#include "fsm/render.h"
#include "fsm/teardown.h"

using namespace ringc::fsm;
using S = State;
using E = Event;
using A = Action;

namespace {
const std::map<std::pair<S, E>, std::pair<S, A>>& expected() {
  static const std::map<std::pair<S, E>, std::pair<S, A>> m = {
      {{S::creating, E::init_ready}, {S::created, A::record_created}},
      {{S::creating, E::init_failed}, {S::deleting, A::destroy}},
      {{S::creating, E::exited}, {S::deleting, A::destroy}},
      {{S::creating, E::force_remove}, {S::deleting, A::kill_and_destroy}},
      {{S::created, E::start}, {S::running, A::release_init}},
      {{S::created, E::kill}, {S::created, A::signal}},
      {{S::created, E::stop}, {S::stopping, A::terminate}},
      {{S::created, E::exited}, {S::stopped, A::record_exit}},
      {{S::created, E::remove}, {S::deleting, A::kill_and_destroy}},
      {{S::created, E::force_remove}, {S::deleting, A::kill_and_destroy}},
      {{S::running, E::kill}, {S::running, A::signal}},
      {{S::running, E::stop}, {S::stopping, A::terminate}},
      {{S::running, E::pause}, {S::paused, A::freeze}},
      {{S::running, E::exec_done}, {S::running, A::none}},
      {{S::running, E::thawed}, {S::running, A::none}},
      {{S::running, E::thaw_failed}, {S::paused, A::none}},
      {{S::running, E::release_failed}, {S::created, A::none}},
      {{S::running, E::exited}, {S::stopped, A::record_exit}},
      {{S::running, E::force_remove}, {S::deleting, A::kill_and_destroy}},
      {{S::paused, E::resume}, {S::running, A::thaw}},
      {{S::paused, E::kill}, {S::paused, A::signal}},
      {{S::paused, E::stop}, {S::stopping, A::terminate}},
      {{S::paused, E::frozen}, {S::paused, A::none}},
      {{S::paused, E::freeze_failed}, {S::running, A::none}},
      {{S::paused, E::exec_done}, {S::paused, A::none}},
      {{S::paused, E::exited}, {S::stopped, A::record_exit}},
      {{S::paused, E::force_remove}, {S::deleting, A::kill_and_destroy}},
      {{S::stopping, E::kill}, {S::stopping, A::signal}},
      {{S::stopping, E::grace_expired}, {S::stopping, A::kill_now}},
      {{S::stopping, E::exited}, {S::stopped, A::record_stop}},
      {{S::stopping, E::force_remove}, {S::deleting, A::kill_and_destroy}},
      {{S::stopped, E::remove}, {S::deleting, A::destroy}},
      {{S::stopped, E::force_remove}, {S::deleting, A::destroy}},
      {{S::stopped, E::kill_all}, {S::stopped, A::signal_all}},
      {{S::stopping, E::kill_all}, {S::stopping, A::signal_all}},
      {{S::paused, E::kill_all}, {S::paused, A::signal_all}},
      {{S::running, E::kill_all}, {S::running, A::signal_all}},
      {{S::created, E::kill_all}, {S::created, A::signal_all}},
      {{S::stopped, E::restart_due}, {S::creating, A::respawn}},
      {{S::created, E::update}, {S::created, A::set_resources}},
      {{S::running, E::update}, {S::running, A::set_resources}},
      {{S::paused, E::update}, {S::paused, A::set_resources}},
      {{S::deleting, E::exited}, {S::deleting, A::none}},
      {{S::deleting, E::force_remove}, {S::deleting, A::kill_and_destroy}},
      {{S::deleting, E::remove}, {S::deleting, A::kill_and_destroy}},
      {{S::deleting, E::kill_all}, {S::deleting, A::signal_all}},
      {{S::created, E::exec}, {S::created, A::spawn_process}},
      {{S::running, E::exec}, {S::running, A::spawn_process}},
      {{S::created, E::exec_frozen}, {S::created, A::spawn_process}},
      {{S::running, E::exec_frozen}, {S::running, A::spawn_process}},
      {{S::paused, E::exec_frozen}, {S::paused, A::spawn_process}},
      {{S::creating, E::adopted}, {S::deleting, A::kill_and_destroy}},
      {{S::created, E::adopted}, {S::created, A::none}},
      {{S::running, E::adopted}, {S::running, A::none}},
      {{S::paused, E::adopted}, {S::paused, A::none}},
      {{S::stopping, E::adopted}, {S::stopping, A::kill_now}},
      {{S::deleting, E::adopted}, {S::deleting, A::kill_and_destroy}},
      {{S::creating, E::adopted_gone}, {S::deleting, A::destroy}},
      {{S::created, E::adopted_gone}, {S::stopped, A::none}},
      {{S::running, E::adopted_gone}, {S::stopped, A::none}},
      {{S::paused, E::adopted_gone}, {S::stopped, A::none}},
      {{S::stopping, E::adopted_gone}, {S::stopped, A::none}},
      {{S::stopped, E::adopted_gone}, {S::stopped, A::none}},
      {{S::deleting, E::adopted_gone}, {S::deleting, A::destroy}},
  };
  return m;
}
}  // namespace

class EveryCell : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(EveryCell, MatchesListing) {
  auto [si, ei] = GetParam();
  S s = S(si);
  E e = E(ei);
  auto r = apply(s, e);
  auto it = expected().find({s, e});
  if (it == expected().end()) {
    EXPECT_FALSE(r) << name(s) << " + " << name(e) << " must be invalid";
    EXPECT_EQ(r.refused.from, s);
    EXPECT_EQ(r.refused.event, e);
  } else {
    ASSERT_TRUE(r) << name(s) << " + " << name(e) << " must be valid";
    EXPECT_EQ(r.ok->next, it->second.first) << name(s) << " + " << name(e);
    EXPECT_EQ(r.ok->action, it->second.second) << name(s) << " + " << name(e);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, EveryCell,
                         ::testing::Combine(::testing::Range(0, kStateCount),
                                            ::testing::Range(0, kEventCount)),
                         [](const auto& info) {
                           std::string n = std::string(name(S(std::get<0>(info.param)))) + "_" +
                                           std::string(name(E(std::get<1>(info.param))));
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(Fsm, NamesRoundTrip) {
  for (int i = 0; i < kStateCount; ++i) EXPECT_EQ(parse_state(name(S(i))), S(i));
  EXPECT_FALSE(parse_state("bogus"));
  EXPECT_EQ(name(E::remove), "delete");
}

TEST(Fsm, TableIsUsableAtCompileTime) {
  static_assert(apply(S::created, E::start).ok->next == S::running);
  static_assert(!apply(S::running, E::start).ok.has_value());
  SUCCEED();
}

TEST(Fsm, RenderingsNameEveryValidEdge) {
  std::string mermaid = render(Format::mermaid), dot = render(Format::dot);
  for (auto& [k, v] : expected()) {
    std::string edge = std::string(name(k.first)) + " --> " + std::string(name(v.first)) + ": " +
                       std::string(name(k.second));
    EXPECT_NE(mermaid.find(edge), std::string::npos) << edge;
    std::string dedge = std::string(name(k.first)) + " -> " + std::string(name(v.first));
    EXPECT_NE(dot.find(dedge), std::string::npos) << dedge;
  }
}

// docs/fsm.md is generated (`ringc fsm --format markdown > docs/fsm.md`);
// it must never drift from the table.
TEST(Fsm, DocumentIsNotStale) {
  std::ifstream in(std::string(RINGC_SOURCE_DIR) + "/docs/fsm.md");
  ASSERT_TRUE(in) << "docs/fsm.md missing";
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), render_document())
      << "docs/fsm.md is stale: run `ringc fsm --format markdown > docs/fsm.md`";
}

// A second table (fsm/exec.h, fsm/teardown.h), every cell against a listing.
template <class St, class Ev, class Act>
void expect_cells(const std::map<std::pair<St, Ev>, std::pair<St, Act>>& listed, int states,
                  int events) {
  for (int s = 0; s < states; ++s)
    for (int e = 0; e < events; ++e) {
      auto t = apply(St(s), Ev(e));
      auto it = listed.find({St(s), Ev(e)});
      if (it == listed.end()) {
        EXPECT_FALSE(t) << name(St(s)) << " + " << name(Ev(e)) << " must be invalid";
        continue;
      }
      ASSERT_TRUE(t) << name(St(s)) << " + " << name(Ev(e)) << " must be valid";
      EXPECT_EQ(t->next, it->second.first) << name(St(s)) << " + " << name(Ev(e));
      EXPECT_EQ(t->action, it->second.second) << name(St(s)) << " + " << name(Ev(e));
    }
}

TEST(ExecTable, EveryCellMatchesListing) {
  using XS = ExecState;
  using XE = ExecEvent;
  using XA = ExecAction;
  expect_cells<XS, XE, XA>(
      {
          {{XS::setting_up, XE::pid_reported}, {XS::starting, XA::watch_exec}},
          {{XS::setting_up, XE::setup_failed}, {XS::failed, XA::answer_failed}},
          {{XS::starting, XE::exec_seen}, {XS::running, XA::answer_started}},
          {{XS::starting, XE::setup_failed}, {XS::failed, XA::answer_failed}},
          {{XS::running, XE::exited}, {XS::exited, XA::answer_exit}},
          {{XS::failed, XE::exited}, {XS::failed, XA::none}},
      },
      kExecStateCount, kExecEventCount);
}

TEST(FreezerTable, EveryCellMatchesListing) {
  using FS = FreezerState;
  using FE = FreezerEvent;
  using FA = FreezerAction;
  expect_cells<FS, FE, FA>(
      {
          {{FS::thawed, FE::freeze}, {FS::freezing, FA::write_frozen}},
          {{FS::thawed, FE::kill}, {FS::thawed, FA::none}},
          {{FS::thawed, FE::adopted}, {FS::frozen, FA::none}},
          {{FS::freezing, FE::settled}, {FS::frozen, FA::tell_frozen}},
          {{FS::freezing, FE::refused}, {FS::thawed, FA::undo_freeze}},
          {{FS::freezing, FE::thaw}, {FS::thawing, FA::write_thawed}},
          {{FS::freezing, FE::kill}, {FS::thawed, FA::thaw_for_kill}},
          {{FS::frozen, FE::thaw}, {FS::thawing, FA::write_thawed}},
          {{FS::frozen, FE::kill}, {FS::thawed, FA::thaw_for_kill}},
          {{FS::thawing, FE::settled}, {FS::thawed, FA::tell_thawed}},
          {{FS::thawing, FE::refused}, {FS::frozen, FA::tell_not_thawed}},
          {{FS::thawing, FE::freeze}, {FS::freezing, FA::write_frozen}},
          {{FS::thawing, FE::kill}, {FS::thawing, FA::none}},
      },
      kFreezerStateCount, kFreezerEventCount);
}

TEST(TeardownTable, EveryCellMatchesListing) {
  using TS = TeardownState;
  using TE = TeardownEvent;
  using TA = TeardownAction;
  expect_cells<TS, TE, TA>(
      {
          {{TS::waiting, TE::settled}, {TS::cgroups, TA::remove_cgroups}},
          {{TS::cgroups, TE::cgroups_gone}, {TS::store, TA::remove_store}},
          {{TS::cgroups, TE::cgroup_busy}, {TS::emptying, TA::kill_stragglers}},
          {{TS::cgroups, TE::busy_too_long}, {TS::store, TA::remove_store}},
          {{TS::emptying, TE::emptied}, {TS::cgroups, TA::remove_cgroups}},
          {{TS::store, TE::store_gone}, {TS::poststop, TA::run_poststop}},
          {{TS::poststop, TE::hooks_done}, {TS::done, TA::none}},
      },
      kTeardownStateCount, kTeardownEventCount);
}

TEST(LaunchTable, EveryCellMatchesListing) {
  using P = LaunchPhase;
  using LE = LaunchEvent;
  const std::map<std::pair<P, LE>, P> listed = {
      {{P::none, LE::cgroup_queued}, P::cgroup},
      {{P::none, LE::sent}, P::spawning},
      {{P::none, LE::cloned}, P::handshake},
      {{P::cgroup, LE::sent}, P::spawning},
      {{P::cgroup, LE::cloned}, P::handshake},
      {{P::cgroup, LE::settled}, P::none},
      {{P::spawning, LE::cloned}, P::handshake},
      {{P::spawning, LE::spawn_failed}, P::none},
      {{P::handshake, LE::hooks_asked}, P::create_hooks},
      {{P::handshake, LE::settled}, P::none},
      {{P::create_hooks, LE::hooks_ran}, P::handshake},
      {{P::create_hooks, LE::settled}, P::none},
  };
  for (int p = 0; p < kLaunchPhaseCount; ++p)
    for (int e = 0; e < kLaunchEventCount; ++e) {
      auto t = apply(P(p), LE(e));
      auto it = listed.find({P(p), LE(e)});
      if (it == listed.end()) {
        EXPECT_FALSE(t) << name(P(p)) << " + " << name(LE(e)) << " must be invalid";
      } else {
        ASSERT_TRUE(t) << name(P(p)) << " + " << name(LE(e)) << " must be valid";
        EXPECT_EQ(*t, it->second) << name(P(p)) << " + " << name(LE(e));
      }
    }
}
