// Test support: many threads hammer one variant while a driver thread moves a
// manual clock and ticks. Used by the contract tests (short) and the soak
// (long, with clock jumps and threads coming and going).
//
// What it checks afterwards is what the contract promises under threads:
//  - every call is counted once, as admitted or refused, per thread;
//  - every admission whose clock reading did not change during the call
//    happened at that instant, and those admissions keep the variant's
//    promise (a necessary condition that cannot raise a false alarm);
//  - after everyone stops and time passes, the full budget is back: nothing
//    was lost inside the limiter.
#ifndef RATELAB_VARIANTS_HAMMER_H_
#define RATELAB_VARIANTS_HAMMER_H_

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "variants/reference_model.h"

namespace ratelab {

struct HammerOptions {
  int threads = 4;
  int64_t step_ns = 10'000;          // manual time per driver step
  // Real time the driver sleeps after each step. A variant whose calls take
  // a network round trip needs the clock to stand still across many of them,
  // or no call sees one instant from start to end and none can be checked.
  std::chrono::microseconds step_pause{0};
  int64_t steps = 30'000;            // driver steps (manual time = steps * step_ns)
  std::chrono::milliseconds real_limit{5'000};  // wall-clock bound
  // Soak extras: every `jump_every` steps time leaps by `jump_ns`; every
  // `churn_every` steps one worker stops and a new one takes its handle.
  int64_t jump_every = 0;
  int64_t jump_ns = 0;
  int64_t churn_every = 0;
  // Workers yield every this many calls (0: never), so that with many more
  // threads than CPUs the driver still gets to move time and churn workers.
  int yield_every = 0;
  // Fails the run if the driver sees no call completed for this long.
  std::chrono::milliseconds watchdog{20'000};
};

struct HammerReport {
  uint64_t attempts = 0, admitted = 0, refused = 0;
  uint64_t certain = 0;        // admissions checked against the promise
  uint64_t violations = 0;     // of those, how many broke it
  bool lost_count = false;     // some thread's admitted + refused != attempts
  bool stalled = false;        // the watchdog fired
  uint64_t after_idle = 0;     // permits admitted by a full burst afterwards
  int64_t manual_ns = 0;       // manual time covered
  uint64_t workers_started = 0;
};

template <class V>
HammerReport Hammer(V& v, ManualClock clock, const HammerOptions& opt) {
  struct alignas(kLine128) Worker {
    std::thread thread;
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> progress{0};  // calls so far, for the watchdog
    uint64_t attempts = 0, admitted = 0, refused = 0;
    std::vector<std::pair<int64_t, uint64_t>> certain;
  };
  std::vector<std::unique_ptr<Worker>> slots(static_cast<size_t>(opt.threads));
  std::vector<std::unique_ptr<Worker>> finished;
  HammerReport rep;

  // An unbounded promise has nothing to check, and its admissions would
  // fill memory on a long run.
  const bool record = v.promise().kind != Promise::Kind::kUnbounded;
  auto start_worker = [&](int index) {
    auto w = std::make_unique<Worker>();
    Worker* me = w.get();
    const int yield_every = opt.yield_every;
    me->thread = std::thread([&v, &clock, me, index, record, yield_every] {
      auto h = v.MakeHandle(index);
      uint64_t k = static_cast<uint64_t>(index);
      while (!me->stop.load(std::memory_order_relaxed)) {
        if (yield_every > 0 && k % static_cast<uint64_t>(yield_every) == 0) {
          std::this_thread::yield();
        }
        const uint64_t n = 1 + (k++ % 3);
        const int64_t before = clock.Now();
        const bool ok = v.try_acquire(h, n);
        const int64_t after = clock.Now();
        ++me->attempts;
        if (ok) {
          ++me->admitted;
          // Run-length by instant: the manual clock moves in steps, so this
          // stays small where a limiter admits little per step.
          if (record && before == after) {
            if (!me->certain.empty() && me->certain.back().first == before) {
              me->certain.back().second += n;
            } else {
              me->certain.emplace_back(before, n);
            }
          }
        } else {
          ++me->refused;
        }
        me->progress.store(me->attempts, std::memory_order_relaxed);
      }
    });
    slots[static_cast<size_t>(index)] = std::move(w);
    ++rep.workers_started;
  };
  auto stop_worker = [&](int index) {
    auto& w = slots[static_cast<size_t>(index)];
    w->stop.store(true);
    w->thread.join();
    finished.push_back(std::move(w));
  };

  for (int i = 0; i < opt.threads; ++i) start_worker(i);
  const auto real_start = std::chrono::steady_clock::now();
  auto last_progress_time = real_start;
  uint64_t last_progress = 0;
  const int64_t t0 = clock.Now();
  int next_churn = 0;
  for (int64_t step = 0; step < opt.steps; ++step) {
    clock.Advance(opt.step_ns);
    if (opt.jump_every > 0 && step % opt.jump_every == opt.jump_every - 1) {
      clock.Advance(opt.jump_ns);
    }
    v.tick(clock.Now());
    if (opt.step_pause.count() > 0) std::this_thread::sleep_for(opt.step_pause);
    if (opt.churn_every > 0 && step % opt.churn_every == opt.churn_every - 1) {
      stop_worker(next_churn);
      start_worker(next_churn);
      next_churn = (next_churn + 1) % opt.threads;
    }
    if ((step & 63) == 0) {
      std::this_thread::yield();
      const auto now = std::chrono::steady_clock::now();
      uint64_t progress = 0;
      for (const auto& w : slots) progress += w->progress.load(std::memory_order_relaxed);
      for (const auto& w : finished) progress += w->attempts;
      if (progress != last_progress) {
        last_progress = progress;
        last_progress_time = now;
      } else if (now - last_progress_time > opt.watchdog) {
        rep.stalled = true;
        break;
      }
      if (now - real_start > opt.real_limit) break;
    }
  }
  for (int i = 0; i < opt.threads; ++i) stop_worker(i);
  rep.manual_ns = clock.Now() - t0;

  std::vector<std::pair<int64_t, uint64_t>> all;
  for (const auto& w : finished) {
    if (w->admitted + w->refused != w->attempts) rep.lost_count = true;
    rep.attempts += w->attempts;
    rep.admitted += w->admitted;
    rep.refused += w->refused;
    all.insert(all.end(), w->certain.begin(), w->certain.end());
  }
  std::sort(all.begin(), all.end());
  PromiseChecker checker(v.promise());
  for (const auto& [t, n] : all) {
    if (!checker.Admit(t, n)) ++rep.violations;
  }
  rep.certain = all.size();

  // Idle for an hour, then one thread asks for everything it can get.
  clock.Advance(int64_t{3600} * 1'000'000'000);
  v.tick(clock.Now());
  auto h = v.MakeHandle(0);
  for (int i = 0; i < 100'000; ++i) {
    const bool ok = v.try_acquire(h, 1);
    if (V::kNeedsTick) v.tick(clock.Now());
    if (!ok) break;
    ++rep.after_idle;
  }
  return rep;
}

// What the contract says of a hammered variant, checked in one place: the
// problems found, one per line, or "" when there are none. `min_after_idle`
// is the budget a fresh window or bucket must hand out after the idle hour.
inline std::string HammerProblems(const HammerReport& r, const Promise& p,
                                  uint64_t min_after_idle) {
  std::string out;
  auto say = [&](const std::string& s) { out += s + "\n"; };
  if (r.stalled) say("watchdog: no call completed for the watchdog period");
  if (r.lost_count) say("a thread's admitted + refused != its attempts");
  if (r.admitted == 0) say("nothing was admitted");
  if (r.violations != 0) {
    say(std::to_string(r.violations) + " of " + std::to_string(r.certain) +
        " checked admissions broke the promise");
  }
  if (p.kind != Promise::Kind::kUnbounded) {
    if (r.certain == 0) say("no admission could be checked");
    if (r.after_idle < min_after_idle) {
      say("after an idle hour only " + std::to_string(r.after_idle) +
          " admitted, want at least " + std::to_string(min_after_idle));
    }
    if (r.after_idle > p.MaxAdmitted(0)) {
      say("after an idle hour " + std::to_string(r.after_idle) +
          " admitted at one instant, more than the promise's " +
          std::to_string(p.MaxAdmitted(0)));
    }
  }
  return out;
}

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_HAMMER_H_
