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
// Layout: the current window is a window_word (tag + count, updated by CAS). The previous window's final count is published in a second
// word by whoever rolls the window over, before the roll-over CAS, so any
// thread that sees the new window also sees its predecessor's count. The
// published count only grows within a tag and tags only advance.
#ifndef RATELAB_VARIANTS_SLIDING_WINDOW_H_
#define RATELAB_VARIANTS_SLIDING_WINDOW_H_

#include <atomic>
#include <memory>

#include "variants/limiter.h"
#include "variants/util.h"
#include "variants/window_word.h"

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
    if (auto s = ValidatePackedCount(limits, options.max_threads,
                                     window_word::kCountBits);
        !s.ok()) {
      return s;
    }
    return std::unique_ptr<SlidingWindow>(new SlidingWindow(limits, clock));
  }

  Handle MakeHandle(int) { return {}; }

  bool try_acquire(Handle&, uint64_t n = 1) noexcept {
    namespace ww = window_word;
    if (!ValidRequest(n, limits_.burst) || n > limits_.limit) return false;
    const int64_t now = clock_.Now();
    const int64_t w = FloorDiv(now, limits_.window_ns);
    const int64_t elapsed = now - w * limits_.window_ns;
    const uint64_t tag = ww::Tag(w);
    const uint64_t prev_tag = ww::Tag(w - 1);
    uint64_t word = cur_.load(std::memory_order_acquire);
    for (;;) {
      const uint64_t cur = ww::TagOf(word);
      if (cur != tag) {
        if (!ww::IsAhead(cur, tag)) return false;  // stale clock reading
        // The word we would replace is the previous window's final count if
        // it belongs to window w-1; an older one means w-1 saw nothing.
        const uint64_t prev = cur == prev_tag ? ww::CountOf(word) : 0;
        PublishPrev(prev_tag, prev);
        const bool admit = Weighted(prev, elapsed) + n <= limits_.limit;
        if (cur_.compare_exchange_weak(word, ww::Pack(tag, admit ? n : 0),
                                       std::memory_order_acq_rel)) {
          return admit;
        }
        continue;
      }
      const uint64_t p = prev_.load(std::memory_order_acquire);
      // A newer predecessor means another thread is already rolling past our
      // window: our reading is stale, refuse.
      if (ww::TagOf(p) != prev_tag) return false;
      const uint64_t est = Weighted(ww::CountOf(p), elapsed);
      if (est + ww::CountOf(word) + n > limits_.limit) return false;
      // CAS, not fetch_add: the room left (L - est) grows as the window ages,
      // so threads keep racing for the permit just freed. With fetch_add the
      // losers' adds would stay in the count (they cannot be undone safely),
      // and two saturating threads measured half of L admitted per window.
      if (cur_.compare_exchange_weak(word, word + n, std::memory_order_acq_rel,
                                     std::memory_order_acquire)) {
        return true;
      }
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
      : limits_(limits), clock_(clock) {
    const int64_t w = FloorDiv(clock_.Now(), limits.window_ns);
    cur_.store(window_word::Pack(window_word::Tag(w), 0));
    prev_.store(window_word::Pack(window_word::Tag(w - 1), 0));
  }

  // Max-merge (tag, count) into prev_: a newer tag replaces, the same tag keeps
  // the larger count, an older tag is ignored.
  void PublishPrev(uint64_t tag, uint64_t count) noexcept {
    namespace ww = window_word;
    uint64_t p = prev_.load(std::memory_order_relaxed);
    for (;;) {
      const uint64_t ptag = ww::TagOf(p);
      if (ptag == tag && ww::CountOf(p) >= count) return;
      if (ptag != tag && !ww::IsAhead(ptag, tag)) return;
      if (prev_.compare_exchange_weak(p, ww::Pack(tag, count),
                                      std::memory_order_release,
                                      std::memory_order_relaxed)) {
        return;
      }
    }
  }

  const Limits limits_;
  Clock clock_;
  alignas(kLine128) std::atomic<uint64_t> cur_{0};
  alignas(kLine128) std::atomic<uint64_t> prev_{0};
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_SLIDING_WINDOW_H_
