// The thread team: one template that runs any variant under any load for a
// fixed duration and returns what each thread did.
//
// How a point runs: the main thread creates the workers; each pins itself to
// its CPU (when given one), records the CPU it really runs on, opens its perf
// group, and waits at the start barrier. The main thread then moves one phase
// word through warm-up -> measure -> stop, timing the measured interval itself
// between the two stores. Workers keep every count in locals and publish once,
// after the stop, into their own cache-line-aligned result slot; so the only
// shared words in the loop are the phase word (written three times a point)
// and the limiter under test. The null variant's scaling shows that the team
// does not contend on itself.
#ifndef RATELAB_HARNESS_TEAM_H_
#define RATELAB_HARNESS_TEAM_H_

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "harness/perf_counters.h"
#include "variants/clock.h"
#include "variants/limiter.h"

namespace ratelab {

// Set from a signal handler: ends the current point early.
std::atomic<bool>& InterruptFlag();

struct TeamConfig {
  int threads = 1;
  std::vector<int> cpus;           // worker i is pinned to cpus[i % size]; empty: unpinned
  int64_t warmup_ns = 50'000'000;
  int64_t duration_ns = 300'000'000;
  int64_t tick_ns = 100'000;       // ticker period, for variants that need it
  std::vector<std::string> events;  // perf events; empty: none opened
  int64_t bin_ns = 0;              // > 0: keep admitted permits per time bin
  // > 0: a CLOCK_MONOTONIC instant at which the warm-up starts; the measured
  // interval then starts at exactly start_at_ns + warmup_ns. Worker processes
  // sharing one limit get the same instant, so their bins line up.
  int64_t start_at_ns = 0;
};

struct ThreadResult {
  int thread = 0;
  int process = 0;  // worker process of a multi-process point; else 0
  std::optional<int> cpu_requested;
  std::vector<int> cpus_seen;
  uint64_t attempts = 0;
  uint64_t admitted = 0;
  std::vector<CounterValue> counters;
  std::vector<uint64_t> bins;
  // Store-backed variants: requests refused because the store was
  // unreachable (fail closed). Zero for in-process variants.
  uint64_t store_refusals = 0;
};

struct TeamResult {
  int64_t duration_ns = 0;
  bool interrupted = false;
  uint64_t ticks = 0;
  std::vector<ThreadResult> threads;
};

namespace team_internal {

enum Phase : int { kWait = 0, kWarmup = 1, kMeasure = 2, kStop = 3 };

inline int64_t MonotonicNs() { return SteadyClock{}.Now(); }

inline bool PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

inline void NoteCpu(std::vector<int>& seen) {
  const int c = sched_getcpu();
  if (std::find(seen.begin(), seen.end(), c) == seen.end()) seen.push_back(c);
}

// A store-backed variant's handle counts the requests it refused because the
// store was unreachable; other handles have no such count.
template <class H>
uint64_t StoreRefusals(const H& h) {
  if constexpr (requires { h.store_refusals; }) {
    return h.store_refusals;
  } else {
    return 0;
  }
}

// Sleeps up to ns, waking early if interrupted. Returns false if interrupted.
inline bool SleepUnlessInterrupted(int64_t ns) {
  const int64_t end = MonotonicNs() + ns;
  for (;;) {
    if (InterruptFlag().load(std::memory_order_relaxed)) return false;
    const int64_t left = end - MonotonicNs();
    if (left <= 0) return true;
    const int64_t step = std::min<int64_t>(left, 20'000'000);
    timespec ts{static_cast<time_t>(step / 1'000'000'000),
                static_cast<long>(step % 1'000'000'000)};
    nanosleep(&ts, nullptr);
  }
}

}  // namespace team_internal

// Load: an object with `template <class V> bool Step(V&, typename V::Handle&,
// Local&)` where Local is the load's per-thread state made by
// `MakeLocal(thread_index, threads)`. Step makes one request (or waits for its
// pace) and returns whether a request was made; the team counts attempts and
// admissions from what Step reports through Local.
template <class V, class Load>
TeamResult RunTeam(V& limiter, const TeamConfig& cfg, Load& load) {
  using namespace team_internal;
  struct alignas(kLine128) Slot {
    ThreadResult result;
  };
  alignas(kLine128) std::atomic<int> phase{kWait};
  alignas(kLine128) std::atomic<int> ready{0};
  alignas(kLine128) std::atomic<int64_t> measure_start{0};
  std::vector<Slot> slots(static_cast<size_t>(cfg.threads));

  std::vector<std::thread> workers;
  workers.reserve(static_cast<size_t>(cfg.threads));
  for (int i = 0; i < cfg.threads; ++i) {
    workers.emplace_back([&, i] {
      ThreadResult& out = slots[static_cast<size_t>(i)].result;
      out.thread = i;
      if (!cfg.cpus.empty()) {
        const int cpu = cfg.cpus[static_cast<size_t>(i) % cfg.cpus.size()];
        out.cpu_requested = cpu;
        PinTo(cpu);
      }
      NoteCpu(out.cpus_seen);
      PerfGroup perf;
      if (!cfg.events.empty()) perf = PerfGroup::OpenForThisThread(cfg.events);
      auto handle = limiter.MakeHandle(i);
      auto local = load.MakeLocal(i, cfg.threads);
      ready.fetch_add(1, std::memory_order_release);
      while (phase.load(std::memory_order_acquire) == kWait) {
        std::this_thread::yield();
      }
      // Warm-up: same loop, counts thrown away.
      while (phase.load(std::memory_order_relaxed) == kWarmup) {
        load.Step(limiter, handle, local);
      }
      // An acquire read of the phase that ended the warm-up (measure, or
      // stop) pairs with its release store, so measure_start, stored before
      // it, is visible below. (A fence would do, but ThreadSanitizer does
      // not model fences.)
      (void)phase.load(std::memory_order_acquire);
      local.Reset();
      const uint64_t refusals_at_start = StoreRefusals(handle);
      std::vector<uint64_t> bins;
      int64_t start = 0;
      if (cfg.bin_ns > 0) {
        start = measure_start.load(std::memory_order_acquire);
        bins.assign(static_cast<size_t>(cfg.duration_ns / cfg.bin_ns + 64), 0);
      }
      if (!cfg.events.empty()) perf.Start();
      if (cfg.bin_ns > 0) {
        // Accuracy runs read the clock after each admission to bin it.
        SteadyClock clock;
        const size_t last = bins.size() - 1;
        while (phase.load(std::memory_order_relaxed) == kMeasure) {
          const uint64_t before = local.admitted;
          load.Step(limiter, handle, local);
          if (local.admitted != before) {
            const int64_t t = clock.Now() - start;
            const size_t b =
                t <= 0 ? 0 : std::min(static_cast<size_t>(t / cfg.bin_ns), last);
            bins[b] += local.admitted - before;
          }
        }
      } else {
        while (phase.load(std::memory_order_relaxed) == kMeasure) {
          load.Step(limiter, handle, local);
        }
      }
      if (!cfg.events.empty()) {
        perf.Stop();
        out.counters = perf.Read();
      }
      NoteCpu(out.cpus_seen);
      out.store_refusals = StoreRefusals(handle) - refusals_at_start;
      out.attempts = local.attempts;
      out.admitted = local.admitted;
      out.bins = std::move(bins);
    });
  }

  // The ticker: the sharded variants' aggregator and the leased bucket's
  // reclaimer. It is not pinned, so it competes with the workers for CPU the
  // way a real background thread would.
  std::atomic<uint64_t> ticks{0};
  std::thread ticker;
  if constexpr (V::kNeedsTick) {
    ticker = std::thread([&] {
      SteadyClock clock;
      uint64_t n = 0;
      while (phase.load(std::memory_order_relaxed) != kStop) {
        limiter.tick(clock.Now());
        ++n;
        const timespec ts{0, static_cast<long>(cfg.tick_ns)};
        nanosleep(&ts, nullptr);
      }
      ticks.store(n, std::memory_order_relaxed);
    });
  }

  while (ready.load(std::memory_order_acquire) < cfg.threads) {
    std::this_thread::yield();
  }
  TeamResult result;
  bool ok = true;
  if (cfg.start_at_ns > 0) ok = SleepUnlessInterrupted(cfg.start_at_ns - MonotonicNs());
  phase.store(kWarmup, std::memory_order_release);
  int64_t t0;
  if (cfg.start_at_ns > 0) {
    // The planned instant, not the time this process got there, so every
    // process of the point bins against the same origin.
    t0 = cfg.start_at_ns + cfg.warmup_ns;
    if (ok) ok = SleepUnlessInterrupted(t0 - MonotonicNs());
  } else {
    if (ok) ok = SleepUnlessInterrupted(cfg.warmup_ns);
    t0 = MonotonicNs();
  }
  measure_start.store(t0, std::memory_order_release);
  phase.store(kMeasure, std::memory_order_release);
  if (ok) ok = SleepUnlessInterrupted(t0 + cfg.duration_ns - MonotonicNs());
  phase.store(kStop, std::memory_order_release);
  const int64_t t1 = MonotonicNs();
  for (auto& w : workers) w.join();
  if (ticker.joinable()) ticker.join();
  result.duration_ns = t1 - t0;
  result.interrupted = !ok;
  result.ticks = ticks.load();
  for (auto& s : slots) result.threads.push_back(std::move(s.result));
  return result;
}

}  // namespace ratelab

#endif  // RATELAB_HARNESS_TEAM_H_
