// The seed's sharded counter, made to enforce its limit. Each worker counts the
// permits it admits in its own slot; an aggregator (tick(), driven by the
// harness's ticker thread) sums the slots, rolls the window over when the
// clock passes a window boundary, and publishes one open/closed flag that
// requests read. Requests never read the clock and never write a shared word:
// they coordinate only with the aggregator, through the flag.
//
// What the seed leaves out, and ratelab adds: with only a flag, a shard can
// admit without limit between two ticks, so the overshoot would depend on the
// request rate times the tick period, with no bound the limiter itself could
// state. Here each slot also holds the count the aggregator saw at its last
// tick, and a shard may admit at most q permits per tick (q = shard_quota,
// default ceil(L / (4 * S)) for S slots, so one busy shard needs four ticks per
// window to use the whole limit; set it larger for fewer ticks).
//
// Promise (approximate): at most L + 3*S*q (+ T*B for percpu) permits per
// window, windows starting at the first tick after each clock boundary:
//  - up to L - 1 were seen by the last tick that left the flag open;
//  - each slot may add q before the next tick sees them (q per slot),
//  - q more per slot from the aggregator's read lag (a slot read early in a
//    tick keeps counting while later slots are read),
//  - and q more per slot from requests that read the flag just before it
//    closed;
//  - percpu slots are shared by the threads running on one CPU, and T threads
//    can each pass the quota check before any of them adds: T*B more.
// With a manual clock and one thread, the count stops at L - 1 + q exactly.
//
// Layouts: sharded_unpadded packs the slots side by side as the seed's
// Int32Array did (false sharing: four 16-byte slots per 64-byte line), and
// sharded_padded_{64,128} gives each slot its own 64- or 128-byte block.
#ifndef RATELAB_VARIANTS_SHARDED_H_
#define RATELAB_VARIANTS_SHARDED_H_

#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

#include "variants/limiter.h"
#include "variants/util.h"

namespace ratelab {

// Policies: how a request finds its slot, and how slots are laid out.
template <std::size_t kAlignBytes>
struct PerThreadSlots {
  static constexpr std::size_t kAlign = kAlignBytes;
  static constexpr bool kPerCpu = false;
};

template <class Clock, class Policy>
class ShardedWindow {
 public:
  static constexpr std::string_view kName = Policy::kName;
  static constexpr std::string_view kDescription = Policy::kDescription;
  static constexpr int kMaxThreads = kMaxThreadsLimit;
  static constexpr bool kNeedsTick = true;
  struct Handle {
    int index;
  };

  static absl::StatusOr<std::unique_ptr<ShardedWindow>> Create(
      const Limits& limits, const Options& options, Clock clock = Clock{}) {
    if (auto s = ValidateCommon(limits, options, kMaxThreads); !s.ok()) return s;
    if constexpr (Policy::kPerCpu) {
      if (auto s = Policy::Check(); !s.ok()) return s;
    }
    std::size_t slots = static_cast<std::size_t>(options.max_threads);
    if constexpr (Policy::kPerCpu) slots = Policy::SlotCount();
    uint64_t q = options.shard_quota;
    if (q == 0) q = CeilDiv(limits.limit, 4 * static_cast<uint64_t>(slots));
    // The promise's slack must be representable; refuse rather than saturate.
    const uint64_t inflight =
        Policy::kPerCpu
            ? Promise::SatMul(static_cast<uint64_t>(options.max_threads),
                              limits.burst)
            : 0;
    const uint64_t slack =
        Promise::SatAdd(Promise::SatMul(3 * slots, q), inflight);
    if (Promise::SatAdd(limits.limit, slack) == Promise::kNoBound) {
      return absl::InvalidArgumentError(absl::StrCat(
          "shard quota q=", q, " with ", slots,
          " slots overflows the 64-bit bound L + 3*S*q"));
    }
    return std::unique_ptr<ShardedWindow>(
        new ShardedWindow(limits, options, slots, q, slack, clock));
  }

  Handle MakeHandle(int thread_index) { return Handle{thread_index}; }

  bool try_acquire(Handle& h, uint64_t n = 1) noexcept {
    if (!ValidRequest(n, limits_.burst)) return false;
    if (!open_.load(std::memory_order_relaxed)) return false;
    if constexpr (Policy::kPerCpu) {
      Slot& s = slots_[static_cast<unsigned>(Policy::Cpu()) % slot_count_];
      // Several threads may share a CPU's slot, so the add is atomic.
      const uint64_t c = s.count.load(std::memory_order_relaxed);
      if (c + n - s.at_tick.load(std::memory_order_relaxed) > quota_) return false;
      s.count.fetch_add(n, std::memory_order_relaxed);
    } else {
      Slot& s = slots_[static_cast<std::size_t>(h.index)];
      // One writer per slot: a load and a store, no locked instruction.
      const uint64_t c = s.count.load(std::memory_order_relaxed);
      if (c + n - s.at_tick.load(std::memory_order_relaxed) > quota_) return false;
      s.count.store(c + n, std::memory_order_relaxed);
    }
    return true;
  }

  // The aggregator. One caller at a time; a concurrent second call returns at
  // once (the ticker is the only caller in the harness).
  void tick(int64_t now) noexcept {
    if (ticking_.exchange(true, std::memory_order_acquire)) return;
    uint64_t sum = 0;
    for (std::size_t i = 0; i < slot_count_; ++i) {
      const uint64_t c = slots_[i].count.load(std::memory_order_relaxed);
      // Written only when it changes, so an idle slot's line stays shared.
      if (slots_[i].at_tick.load(std::memory_order_relaxed) != c) {
        slots_[i].at_tick.store(c, std::memory_order_relaxed);
      }
      sum += c;
    }
    const int64_t w = FloorDiv(now, limits_.window_ns);
    if (w > window_) {  // a stale `now` never rolls the window back
      window_ = w;
      base_ = sum;
    }
    const bool open = sum - base_ < limits_.limit;
    if (open_.load(std::memory_order_relaxed) != open) {
      open_.store(open, std::memory_order_relaxed);
    }
    ticking_.store(false, std::memory_order_release);
  }

  Promise promise() const {
    Promise p;
    p.kind = Promise::Kind::kFixedWindow;
    p.exact = false;
    p.burst = limits_.limit;
    p.interval_ns = limits_.window_ns;
    p.slack = slack_;
    p.bound_note = absl::StrCat(
        "approximate: L + 3*S*q per tick-started window (S=", slot_count_,
        " slots, q=", quota_, ")",
        Policy::kPerCpu ? " + T*B for threads sharing a CPU slot" : "");
    return p;
  }
  const Clock& clock() const { return clock_; }
  uint64_t quota() const { return quota_; }

 private:
  struct alignas(Policy::kAlign) Slot {
    std::atomic<uint64_t> count{0};    // permits admitted through this slot
    std::atomic<uint64_t> at_tick{0};  // count seen by the last tick
  };

  ShardedWindow(const Limits& limits, const Options&, std::size_t slots,
                uint64_t quota, uint64_t slack, Clock clock)
      : limits_(limits),
        slot_count_(slots),
        quota_(quota),
        slack_(slack),
        clock_(clock),
        slots_(slots),
        window_(FloorDiv(clock_.Now(), limits.window_ns)) {}

  const Limits limits_;
  const std::size_t slot_count_;
  const uint64_t quota_;
  const uint64_t slack_;
  Clock clock_;
  std::vector<Slot> slots_;
  // Read by every request, written at most once per tick.
  alignas(kLine128) std::atomic<bool> open_{true};
  // The aggregator's own state, touched only by tick().
  alignas(kLine128) std::atomic<bool> ticking_{false};
  int64_t window_;
  uint64_t base_ = 0;
};

struct UnpaddedPolicy : PerThreadSlots<alignof(std::atomic<uint64_t>)> {
  static constexpr std::string_view kName = "sharded_unpadded";
  static constexpr std::string_view kDescription =
      "the seed's layout: per-thread counters packed side by side, summed each "
      "tick into an open/closed flag";
};
template <std::size_t kPad>
struct PaddedPolicy : PerThreadSlots<kPad> {
  static constexpr std::string_view kName =
      kPad == 64 ? "sharded_padded_64" : "sharded_padded_128";
  static constexpr std::string_view kDescription =
      kPad == 64 ? "sharded counter, each slot on its own 64-byte line"
                 : "sharded counter, each slot on its own 128-byte block";
};

template <class Clock>
using ShardedUnpadded = ShardedWindow<Clock, UnpaddedPolicy>;
template <class Clock>
using ShardedPadded64 = ShardedWindow<Clock, PaddedPolicy<kLine64>>;
template <class Clock>
using ShardedPadded128 = ShardedWindow<Clock, PaddedPolicy<kLine128>>;

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_SHARDED_H_
