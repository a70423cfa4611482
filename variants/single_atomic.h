// single_atomic: a fixed window counted in one shared word (window_word.h),
// one fetch_add per admitted request. This is the naive limiter the seed
// starts from; every admitting core writes the same cache line.
//
// Promise (exact): at most L permits per aligned window [kW, (k+1)W), hence at
// most 2L in any interval of length W (a burst at the end of one window and
// another at the start of the next). Why fetch_add and not CAS: under
// contention a CAS loop retries, fetch_add always completes in one go. The
// reject path only loads, so a full window is cheap to refuse. A fetch_add that
// lands over L is not undone (undoing could race with a roll-over); it leaves
// the count above L, which can only refuse, never admit, more.
#ifndef RATELAB_VARIANTS_SINGLE_ATOMIC_H_
#define RATELAB_VARIANTS_SINGLE_ATOMIC_H_

#include <atomic>
#include <memory>

#include "variants/limiter.h"
#include "variants/util.h"
#include "variants/window_word.h"

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
    if (auto s = ValidatePackedCount(limits, options.max_threads,
                                     window_word::kCountBits);
        !s.ok()) {
      return s;
    }
    return std::unique_ptr<SingleAtomic>(new SingleAtomic(limits, clock));
  }

  Handle MakeHandle(int) { return {}; }

  bool try_acquire(Handle&, uint64_t n = 1) noexcept {
    namespace ww = window_word;
    if (!ValidRequest(n, limits_.burst) || n > limits_.limit) return false;
    const uint64_t tag = ww::Tag(FloorDiv(clock_.Now(), limits_.window_ns));
    uint64_t word = word_.load(std::memory_order_relaxed);
    for (;;) {
      const uint64_t cur = ww::TagOf(word);
      if (cur != tag) {
        if (!ww::IsAhead(cur, tag)) return false;  // our clock reading is stale
        // First request of a new window: reset and count ourselves at once.
        if (word_.compare_exchange_weak(word, ww::Pack(tag, n),
                                        std::memory_order_relaxed)) {
          return true;
        }
        continue;
      }
      if (ww::CountOf(word) + n > limits_.limit) return false;
      const uint64_t prev = word_.fetch_add(n, std::memory_order_relaxed);
      // Tags only advance, so prev is ours or newer; a newer window took our
      // add as spent budget, which can only make it admit less.
      return ww::TagOf(prev) == tag && ww::CountOf(prev) + n <= limits_.limit;
    }
  }

  void tick(int64_t) noexcept {}

  Promise promise() const {
    Promise p;
    p.kind = Promise::Kind::kFixedWindow;
    p.burst = limits_.limit;
    p.interval_ns = limits_.window_ns;
    p.bound_note = "exact: L per aligned window, one fetch_add word";
    return p;
  }
  const Clock& clock() const { return clock_; }

 private:
  SingleAtomic(const Limits& limits, Clock clock)
      : limits_(limits),
        clock_(clock),
        // Start in the clock's current window: "ahead" is judged modulo 2^24,
        // so a word left at tag 0 could look ahead of the real window forever.
        word_(window_word::Pack(
            window_word::Tag(FloorDiv(clock_.Now(), limits.window_ns)), 0)) {}

  const Limits limits_;
  Clock clock_;
  alignas(kLine128) std::atomic<uint64_t> word_;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_SINGLE_ATOMIC_H_
