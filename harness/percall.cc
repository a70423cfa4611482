#include "harness/percall.h"

#include <errno.h>
#include <sched.h>

#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "variants/clock.h"
#include "variants/limiter.h"
#include "variants/percpu.h"
#include "variants/registry.h"

namespace ratelab {
namespace {

// How often a kNeedsTick variant's tick() runs inside the timed loop. The
// harness's ticker runs every --tick_us on its own thread; one thread here has
// nowhere else to run it, so it is folded into the loop and its cost spread
// over this many calls. Large enough that a tick (which sums every slot, one
// per CPU for percpu) adds little per call; small enough that a sharded
// variant's quota (q = L/(4S) per tick) is never the reason for a refusal.
constexpr uint32_t kTickEvery = 1024;

// Every call admitted: 1e11 permits per 100 s is 1e9/s, more than one thread
// can ask for, and a burst of 1e9 lets the token buckets start full and stay
// ahead of the loop. Small enough for single_atomic's and sliding_window's
// packed counts (limit + burst per thread must fit their count bits).
constexpr Limits kAdmitLimits{100'000'000'000, 100'000'000'000, 1'000'000'000};

// Every call refused: one permit per 1000 s, taken before timing starts.
constexpr Limits kRejectLimits{1, 1'000'000'000'000, 1};

template <class V>
absl::StatusOr<std::unique_ptr<V>> MakeLimiter(const Limits& limits) {
  Options options;
  options.max_threads = 1;
  return V::Create(limits, options);
}

// The timed loop, shared by both regimes. admitted_frac is the share of calls
// admitted, so a run whose regime did not hold (an admit run that refused, a
// reject run that admitted) shows it in the JSON instead of passing silently.
template <class V>
void TimedLoop(benchmark::State& state, V& limiter, typename V::Handle& handle) {
  const SteadyClock clock;
  uint64_t admitted = 0;
  uint32_t until_tick = kTickEvery;
  for (auto _ : state) {
    const bool ok = limiter.try_acquire(handle);
    benchmark::DoNotOptimize(ok);
    admitted += ok ? 1 : 0;
    if constexpr (V::kNeedsTick) {
      if (--until_tick == 0) {
        until_tick = kTickEvery;
        limiter.tick(clock.Now());
      }
    }
  }
  const auto iterations = static_cast<double>(state.iterations());
  state.counters["admitted_frac"] =
      iterations > 0 ? static_cast<double>(admitted) / iterations : 0.0;
}

template <class V>
void BmAdmit(benchmark::State& state) {
  absl::StatusOr<std::unique_ptr<V>> limiter = MakeLimiter<V>(kAdmitLimits);
  if (!limiter.ok()) {
    state.SkipWithError(std::string(limiter.status().message()).c_str());
    return;
  }
  typename V::Handle handle = (*limiter)->MakeHandle(0);
  if constexpr (V::kNeedsTick) (*limiter)->tick(SteadyClock{}.Now());
  TimedLoop(state, **limiter, handle);
}

// Takes permits until the limiter refuses, ticking between rounds so that a
// variant whose window only starts at its first tick (the sharded ones) counts
// what was taken. True once a whole round, tick included, admitted nothing.
template <class V>
bool Drain(V& limiter, typename V::Handle& handle) {
  const SteadyClock clock;
  for (int round = 0; round < 16; ++round) {
    if constexpr (V::kNeedsTick) limiter.tick(clock.Now());
    bool any = false;
    for (int i = 0; i < 1'000'000 && limiter.try_acquire(handle); ++i) any = true;
    if (!any) return true;
  }
  return false;
}

template <class V>
void BmReject(benchmark::State& state) {
  absl::StatusOr<std::unique_ptr<V>> limiter = MakeLimiter<V>(kRejectLimits);
  if (!limiter.ok()) {
    state.SkipWithError(std::string(limiter.status().message()).c_str());
    return;
  }
  typename V::Handle handle = (*limiter)->MakeHandle(0);
  // null has no refusal path; its loop is still timed, as the floor the other
  // variants' refusals are compared with, and admitted_frac 1 says so.
  const bool can_refuse =
      (*limiter)->promise().kind != Promise::Kind::kUnbounded;
  if (can_refuse && !Drain(**limiter, handle)) {
    state.SkipWithError("limit 1 per 1000 s still admitting after 16 drain rounds");
    return;
  }
  TimedLoop(state, **limiter, handle);
}

void BmSteadyClock(benchmark::State& state) {
  const SteadyClock clock;
  for (auto _ : state) benchmark::DoNotOptimize(clock.Now());
}

void BmCoarseClock(benchmark::State& state) {
  const CoarseClock clock;
  for (auto _ : state) benchmark::DoNotOptimize(clock.Now());
}

void BmSchedGetCpu(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sched_getcpu());
}

void BmRseqCpuId(benchmark::State& state) {
  // Without rseq, RseqCpuId() is one load of __rseq_size returning -1: a
  // number, but not the cost of learning the CPU. Say so instead.
  if (absl::Status s = RseqStatus(); !s.ok()) {
    state.SkipWithError(std::string(s.message()).c_str());
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(RseqCpuId());
}

void RegisterAll(const std::vector<std::string>& variant_names) {
  const std::set<std::string, std::less<>> wanted(variant_names.begin(),
                                                  variant_names.end());
  // Registry order, admit runs first: the JSON reads the same whatever order
  // the names were given in.
  ForEachVariant<SteadyClock>([&]<class V>() {
    if (wanted.contains(V::kName)) {
      benchmark::RegisterBenchmark((std::string("BM_Admit/") + std::string(V::kName)).c_str(),
                                   &BmAdmit<V>);
    }
  });
  ForEachVariant<SteadyClock>([&]<class V>() {
    if (wanted.contains(V::kName)) {
      benchmark::RegisterBenchmark((std::string("BM_Reject/") + std::string(V::kName)).c_str(),
                                   &BmReject<V>);
    }
  });
  benchmark::RegisterBenchmark("BM_Primitive/steady_clock", &BmSteadyClock);
  benchmark::RegisterBenchmark("BM_Primitive/coarse_clock", &BmCoarseClock);
  benchmark::RegisterBenchmark("BM_Primitive/sched_getcpu", &BmSchedGetCpu);
  benchmark::RegisterBenchmark("BM_Primitive/rseq_cpu_id", &BmRseqCpuId);
}

}  // namespace

absl::StatusOr<std::string> RunPercall(const std::vector<std::string>& variant_names,
                                       double min_time_s) {
  if (!std::isfinite(min_time_s) || min_time_s <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "percall min time ", min_time_s, " s: must be a positive number of seconds"));
  }

  // Google Benchmark keeps flags and registered benchmarks in globals, so
  // each run starts from a clean registry and sets every flag that changes
  // what is run, rather than inheriting values from an earlier call or from
  // BENCHMARK_* environment variables. 1.7.1 takes --benchmark_min_time as a
  // plain double of seconds (1.8 changed it to "<n>s" / "<n>x").
  benchmark::ClearRegisteredBenchmarks();
  std::vector<std::string> args = {
      // argv[0] becomes the JSON context's "executable".
      program_invocation_name != nullptr ? program_invocation_name : "ratelab",
      absl::StrCat("--benchmark_min_time=", min_time_s),
      "--benchmark_min_warmup_time=0",
      "--benchmark_repetitions=1",
      "--benchmark_enable_random_interleaving=false",
      "--benchmark_report_aggregates_only=false",
      "--benchmark_display_aggregates_only=false",
      "--benchmark_time_unit=ns",
      // Would print names to stdout instead of running anything.
      "--benchmark_list_tests=false",
      // Counters are bench_all's business (--events), not Google Benchmark's.
      "--benchmark_perf_counters=",
      // A non-empty --benchmark_out would make Google Benchmark write a second
      // copy of the results to that file.
      "--benchmark_out=",
  };
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(args.size());
  benchmark::Initialize(&argc, argv.data());

  RegisterAll(variant_names);

  // The JSON reporter is passed as the *display* reporter: 1.7.1 exits the
  // process if a file reporter is given without --benchmark_out, and the
  // display reporter's stream can be any ostream, here a string.
  std::ostringstream json;
  benchmark::JSONReporter reporter;
  reporter.SetOutputStream(&json);
  reporter.SetErrorStream(&std::cerr);
  benchmark::RunSpecifiedBenchmarks(&reporter, ".");
  benchmark::ClearRegisteredBenchmarks();
  return json.str();
}

}  // namespace ratelab
