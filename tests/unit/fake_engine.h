// The fixture of the engine's tests with fakes: an engine whose effects
// are FakeEffects (tests/unit/fake_effects.h), on a state root of its own,
// its notices recorded.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/answer.h"
#include "core/engine/engine.h"
#include "core/init/handshake.h"
#include "ring/ops.h"
#include "tests/unit/fake_effects.h"

namespace ringc::test {

using S = fsm::State;
using E = fsm::Event;

class FakeEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ringc-fake-engine.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    rt_ = std::make_unique<Runtime>(root_ + "/state");
    engine_ = std::make_unique<Engine>(
        *rt_, EngineOptions{.ring_entries = 64, .spawner = false, .effects = &fx_});
    engine_->on_notice = [this](const Notice& n) {
      events_.push_back(n.event);
      if (wait_ && !answered_) answered_ = answer(*wait_, n);
      if (n.gone) gone_ = true;
    };
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(root_);
  }

  // A container of a default spec, launched to wait for start (or to
  // start at once).
  Result<void> launch(const std::string& id, bool start = false) {
    auto p = std::make_shared<Prepared>();
    p->bundle = root_;
    p->rootfs = root_;
    p->cgroup_path = cg(id);
    LaunchRequest lr;
    lr.id = id;
    lr.cgroup_path = p->cgroup_path;
    lr.prepared = std::move(p);
    lr.start = start;
    return engine_->launch(std::move(lr));
  }
  static std::string cg(const std::string& id) { return "/ringc-fake/" + id; }
  // Launched, its init ready, then asked to start (answered: running).
  void created_then_started(const std::string& id) {
    ASSERT_TRUE(launch(id));
    ASSERT_TRUE(send_message(init_end(id), message(MsgKind::ready)));
    ASSERT_TRUE(step_until([&] { return seen(E::init_ready); }));
    await(Until::running);
    ASSERT_TRUE(engine_->request(id, E::start));
    // The start byte follows the record that says running.
    ASSERT_TRUE(step_until([&] {
      char b;
      return ::recv(init_end(id), &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
    }));
  }
  int init_end(const std::string& id) { return fx_.init_end.at(cg(id)); }

  // Steps the engine until pred() holds, or 10 s.
  template <class Pred>
  bool step_until(Pred pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred() && std::chrono::steady_clock::now() < deadline) {
      auto ring = engine_->ring();
      if (!ring) return false;
      auto ts = ring::to_timespec(std::chrono::milliseconds(50));
      ring::prep_timeout(*ring.value(), ring::kIgnored, &ts);  // wakes the wait
      if (!engine_->step()) return false;
    }
    return pred();
  }
  bool seen(E e) const { return std::find(events_.begin(), events_.end(), e) != events_.end(); }
  bool called(const std::string& c) const {
    return std::find(fx_.calls.begin(), fx_.calls.end(), c) != fx_.calls.end();
  }
  void await(Until u) {
    wait_ = Awaiting{u, kNoExitYet, {}};
    answered_.reset();
  }

  std::string root_;
  std::unique_ptr<Runtime> rt_;
  FakeEffects fx_;
  std::unique_ptr<Engine> engine_;
  std::vector<E> events_;
  std::optional<Awaiting> wait_;
  std::optional<Answer> answered_;
  bool gone_ = false;
};

}  // namespace ringc::test
