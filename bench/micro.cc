// Micro-benchmarks, ns per operation: FSM apply, the state record against
// the equivalent JSON, config.json parsing, token packing, completion
// dispatch through the ring, slot allocation.
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <liburing.h>

#include "core/base/arena.h"
#include "core/spec/json.h"
#include "core/spec/spec.h"
#include "core/store/record.h"
#include "fsm/lifecycle.h"
#include "ring/ops.h"
#include "ring/ring.h"
#include "ring/token.h"

using namespace ringc;

static void FsmApply(benchmark::State& st) {
  int i = 0;
  for (auto _ : st) {
    auto r = fsm::apply(fsm::State(i % fsm::kStateCount), fsm::Event(i % fsm::kEventCount));
    benchmark::DoNotOptimize(r);
    ++i;
  }
}
BENCHMARK(FsmApply);

static RecordFields sample() {
  RecordFields f;
  f.pid = 4242;
  f.status = fsm::State::running;
  f.start_time = 123456789;
  f.created_ns = 1'700'000'000'123'456'789;
  f.id = "web-000123";
  f.bundle = "/srv/bundles/web";
  f.rootfs = "/srv/bundles/web/rootfs";
  f.cgroup = "/ringc/web-000123";
  f.oci_version = "1.0.2-dev";
  f.annotations = {{"org.example.team", "payments"}};
  return f;
}

static void RecordEncode(benchmark::State& st) {
  RecordFields f = sample();
  for (auto _ : st) benchmark::DoNotOptimize(encode(f));
}
BENCHMARK(RecordEncode);

static void RecordDecode(benchmark::State& st) {
  std::string bytes = encode(sample());
  for (auto _ : st) {
    auto v = RecordView::parse(bytes, "b");
    benchmark::DoNotOptimize(v.value().pid());
    benchmark::DoNotOptimize(v.value().bundle());
  }
}
BENCHMARK(RecordDecode);

static std::string as_json(const RecordFields& f) {
  return fmt::format(
      "{{\"id\":\"{}\",\"pid\":{},\"status\":\"running\",\"start_time\":{},\"created\":{},"
      "\"bundle\":\"{}\",\"rootfs\":\"{}\",\"cgroup\":\"{}\",\"ociVersion\":\"{}\","
      "\"annotations\":{{\"org.example.team\":\"payments\"}}}}",
      f.id, f.pid, f.start_time, f.created_ns, f.bundle, f.rootfs, f.cgroup, f.oci_version);
}

static void JsonStateEncode(benchmark::State& st) {
  RecordFields f = sample();
  for (auto _ : st) benchmark::DoNotOptimize(as_json(f));
}
BENCHMARK(JsonStateEncode);

static void JsonStateDecode(benchmark::State& st) {
  std::string text = as_json(sample());
  for (auto _ : st) {
    json::Document doc;
    doc.parse(text);
    int64_t pid = 0;
    std::string_view bundle;
    doc.root()["pid"].get(pid);
    doc.root()["bundle"].get(bundle);
    benchmark::DoNotOptimize(pid);
    benchmark::DoNotOptimize(bundle);
  }
}
BENCHMARK(JsonStateDecode);

static void SpecParse(benchmark::State& st) {
  std::string json = default_spec_json();
  for (auto _ : st) benchmark::DoNotOptimize(parse_spec(json));
}
BENCHMARK(SpecParse);

static void TokenRoundTrip(benchmark::State& st) {
  uint32_t i = 0;
  for (auto _ : st) {
    auto t = ring::Token::unpack(ring::Token{i++, 3, 7}.pack());
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(TokenRoundTrip);

// A completion from submission to handler: a NOP carrying a packed token,
// submitted and reaped in batches of 32, the token unpacked and switched
// on by tag, as the engine's dispatch does.
static void CompletionDispatch(benchmark::State& st) {
  ring::Ring r;
  if (!r.init(64)) {
    st.SkipWithError("io_uring unavailable");
    return;
  }
  uint64_t handled = 0;
  ring::Completion batch[32];
  for (auto _ : st) {
    for (uint32_t i = 0; i < 32; ++i) {
      io_uring_sqe* s = r.sqe();
      io_uring_prep_nop(s);
      io_uring_sqe_set_data64(s, ring::Token{i, 1, uint8_t(i % 4)}.pack());
    }
    unsigned got = 0;
    while (got < 32) {
      (void)r.wait();
      unsigned n = r.reap(batch, 32);
      for (unsigned k = 0; k < n; ++k) {
        auto t = ring::Token::unpack(batch[k].user_data);
        switch (t.tag) {
          case 0:
            handled += 1;
            break;
          case 1:
            handled += 2;
            break;
          default:
            handled += 3;
            break;
        }
      }
      got += n;
    }
  }
  benchmark::DoNotOptimize(handled);
  st.SetItemsProcessed(int64_t(st.iterations()) * 32);
}
BENCHMARK(CompletionDispatch);

// A slot of the engine's size taken from the MADV_DONTFORK arena (chunks
// of 1,024 mapped as the table grows), amortised over 10,000 slots.
static void SlotAllocation(benchmark::State& st) {
  struct Slot {
    char bytes[256];
  };
  for (auto _ : st) {
    NoForkArena<Slot> arena;
    for (int i = 0; i < 10000; ++i) benchmark::DoNotOptimize(&arena.emplace_back());
  }
  st.SetItemsProcessed(int64_t(st.iterations()) * 10000);
}
BENCHMARK(SlotAllocation);

BENCHMARK_MAIN();
