// single_atomic: a fixed window counted in one shared counter, one fetch_add
// per admitted request. This is the naive limiter the seed starts from; every
// admitting core writes the same cache line.
//
// Promise (exact): at most L permits per aligned window [kW, (k+1)W), hence at
// most 2L in any interval of length W (a burst at the end of one window and
// another at the start of the next). Why fetch_add and not CAS: under
// contention a CAS loop retries, fetch_add always completes in one go. The
// reject path only loads, so a full window is cheap to refuse. A fetch_add that
// lands over L is not undone (undoing could race with a roll-over); it leaves
// the count above L, which can only refuse, never admit, more. The window's
// index and its roll-over live in window_epoch.h.
#ifndef RATELAB_VARIANTS_SINGLE_ATOMIC_H_
#define RATELAB_VARIANTS_SINGLE_ATOMIC_H_

#include <atomic>
#include <memory>

#include "variants/limiter.h"
#include "variants/util.h"
#include "variants/window_epoch.h"

namespace ratelab {

template <class Clock>
class SingleAtomic {
 public:
  static constexpr std::string_view kName = "single_atomic";
  static constexpr std::string_view kDescription =
      "fixed window, one shared counter, fetch_add per request";
  static constexpr int kMaxThreads = kMaxThreadsLimit;
  static constexpr bool kNeedsTick = false;
  struct Handle {};

  static absl::StatusOr<std::unique_ptr<SingleAtomic>> Create(
      const Limits& limits, const Options& options, Clock clock = Clock{}) {
    if (auto s = ValidateCommon(limits, options, kMaxThreads); !s.ok()) return s;
    if (auto s = ValidatePackedCount(limits, options.max_threads, 63); !s.ok()) {
      return s;
    }
    return std::unique_ptr<SingleAtomic>(new SingleAtomic(limits, clock));
  }

  Handle MakeHandle(int) { return {}; }

  bool try_acquire(Handle&, uint64_t n = 1) noexcept {
    if (!ValidRequest(n, limits_.burst) || n > limits_.limit) return false;
    const int64_t w = FloorDiv(clock_.Now(), limits_.window_ns);
    for (;;) {
      const WindowEpoch::View v = epoch_.Read();
      if (v.rolling() || w < v.window) return false;  // mid roll-over, or stale
      if (w > v.window) {
        // First request of a new window: reset the count to ours.
        if (epoch_.BeginRoll(v)) {
          count_.store(n, std::memory_order_release);
          epoch_.EndRoll(v, w);
          return true;
        }
        continue;
      }
      if (count_.load(std::memory_order_relaxed) + n > limits_.limit) return false;
      const uint64_t prev = count_.fetch_add(n, std::memory_order_acq_rel);
      // If the window rolled meanwhile, our add may have landed in the next
      // window's count: refuse (that window admits n less, never more).
      return epoch_.Unchanged(v) && prev + n <= limits_.limit;
    }
  }

  void tick(int64_t) noexcept {}

  Promise promise() const {
    Promise p;
    p.kind = Promise::Kind::kFixedWindow;
    p.burst = limits_.limit;
    p.interval_ns = limits_.window_ns;
    p.bound_note = "exact: L per aligned window, one fetch_add counter";
    return p;
  }
  const Clock& clock() const { return clock_; }

 private:
  SingleAtomic(const Limits& limits, Clock clock)
      : limits_(limits),
        clock_(clock),
        epoch_(FloorDiv(clock_.Now(), limits.window_ns)) {}

  const Limits limits_;
  Clock clock_;
  // Read by every request, written once per window.
  alignas(kLine128) WindowEpoch epoch_;
  // Written by every admitted request.
  alignas(kLine128) std::atomic<uint64_t> count_{0};
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_SINGLE_ATOMIC_H_
