// sliding_window: the sliding-window-counter approximation. The current fixed
// window's count plus the previous window's count weighted by the part of the
// previous window still inside a W-long look-back:
//     estimate = prev * (W - elapsed) / W + cur,
// and a request for n is admitted iff estimate + n <= L.
//
// Promise (exact, as a fixed window): cur alone never passes L, so at most L
// per aligned window and 2L in any interval of length W. The weighting assumes
// the previous window's requests were spread evenly; when they were not (all at
// its end), a W-long interval can still see up to ~2L, which the accuracy
// experiment measures. Typical overshoot is far below a plain fixed window's.
//
// Layout: the window index and its roll-over live in window_epoch.h; the
// current window's count is one word updated by CAS; the previous window's
// final count is set by the thread that rolls the window over, before the
// roll-over is published.
#ifndef RATELAB_VARIANTS_SLIDING_WINDOW_H_
#define RATELAB_VARIANTS_SLIDING_WINDOW_H_

#include <atomic>
#include <memory>

#include "variants/limiter.h"
#include "variants/util.h"
#include "variants/window_epoch.h"

namespace ratelab {

template <class Clock>
class SlidingWindow {
 public:
  static constexpr std::string_view kName = "sliding_window";
  static constexpr std::string_view kDescription =
      "two fixed windows weighted by elapsed fraction (sliding-window counter)";
  static constexpr int kMaxThreads = kMaxThreadsLimit;
  static constexpr bool kNeedsTick = false;
  struct Handle {};

  static absl::StatusOr<std::unique_ptr<SlidingWindow>> Create(
      const Limits& limits, const Options& options, Clock clock = Clock{}) {
    if (auto s = ValidateCommon(limits, options, kMaxThreads); !s.ok()) return s;
    if (auto s = ValidatePackedCount(limits, options.max_threads, 63); !s.ok()) {
      return s;
    }
    return std::unique_ptr<SlidingWindow>(new SlidingWindow(limits, clock));
  }

  Handle MakeHandle(int) { return {}; }

  bool try_acquire(Handle&, uint64_t n = 1) noexcept {
    if (!ValidRequest(n, limits_.burst) || n > limits_.limit) return false;
    const int64_t now = clock_.Now();
    const int64_t w = FloorDiv(now, limits_.window_ns);
    const int64_t elapsed = now - w * limits_.window_ns;
    for (;;) {
      const WindowEpoch::View v = epoch_.Read();
      if (v.rolling() || w < v.window) return false;  // mid roll-over, or stale
      if (w > v.window) {
        if (!epoch_.BeginRoll(v)) continue;
        // The count we replace is the previous window's final count if it
        // was window w-1; an older one means w-1 saw nothing.
        const uint64_t last = cur_.load(std::memory_order_relaxed);
        const uint64_t prev = (v.window == w - 1) ? last : 0;
        const bool admit = Weighted(prev, elapsed) + n <= limits_.limit;
        prev_.store(prev, std::memory_order_relaxed);
        cur_.store(admit ? n : 0, std::memory_order_release);
        epoch_.EndRoll(v, w);
        return admit;
      }
      const uint64_t est = Weighted(prev_.load(std::memory_order_relaxed), elapsed);
      uint64_t c = cur_.load(std::memory_order_relaxed);
      // CAS, not fetch_add: the room left (L - est) grows as the window ages,
      // so threads keep racing for the permit just freed. With fetch_add the
      // losers' adds would stay in the count (they cannot be undone safely),
      // and two saturating threads measured half of L admitted per window.
      bool added = false;
      while (est + c + n <= limits_.limit) {
        if (cur_.compare_exchange_weak(c, c + n, std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
          added = true;
          break;
        }
      }
      // A roll-over meanwhile means prev_ and cur_ may not belong to w: refuse.
      return added && epoch_.Unchanged(v);
    }
  }

  void tick(int64_t) noexcept {}

  Promise promise() const {
    Promise p;
    p.kind = Promise::Kind::kFixedWindow;
    p.burst = limits_.limit;
    p.interval_ns = limits_.window_ns;
    p.bound_note =
        "exact: L per aligned window (2L in any W); weighting lowers typical "
        "overshoot";
    return p;
  }
  const Clock& clock() const { return clock_; }

  // prev * (W - elapsed) / W, rounded down, in 128 bits so no L or W can
  // overflow it.
  uint64_t Weighted(uint64_t prev, int64_t elapsed) const {
    const unsigned __int128 num =
        static_cast<unsigned __int128>(prev) *
        static_cast<uint64_t>(limits_.window_ns - elapsed);
    return static_cast<uint64_t>(num / static_cast<uint64_t>(limits_.window_ns));
  }

 private:
  SlidingWindow(const Limits& limits, Clock clock)
      : limits_(limits),
        clock_(clock),
        epoch_(FloorDiv(clock_.Now(), limits.window_ns)) {}

  const Limits limits_;
  Clock clock_;
  // Read by every request, written once per window.
  alignas(kLine128) WindowEpoch epoch_;
  std::atomic<uint64_t> prev_{0};
  // Written by every admitted request.
  alignas(kLine128) std::atomic<uint64_t> cur_{0};
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_SLIDING_WINDOW_H_
