// Which fixed window a limiter is counting, and the roll-over to the next one,
// for single_atomic and sliding_window.
//
// The window index is kept whole (64 bits), beside a sequence number that is
// odd while one thread rolls the window over (a seqlock around the roll-over
// only). Requests read the pair, do their counting, and check that the
// sequence did not move; if it did, the window rolled under them and they
// refuse. The roll-over itself is claimed with one CAS on the sequence, so
// exactly one thread rolls each window, and nothing waits for it: a request
// that finds a roll-over in progress refuses (a false rejection, once per
// window at most, and only in that instant).
//
// Why not a window tag packed beside the count in one word: a tag has few
// bits, so after a long idle (2^23 windows: 2.3 hours of 1 ms windows) the
// tag wraps and a request can no longer tell "far ahead" from "slightly
// behind". The fuzzer found exactly that: a tagged window refusing everything
// after a jump of hours.
#ifndef RATELAB_VARIANTS_WINDOW_EPOCH_H_
#define RATELAB_VARIANTS_WINDOW_EPOCH_H_

#include <atomic>
#include <cstdint>

#include "variants/limiter.h"

namespace ratelab {

class WindowEpoch {
 public:
  struct View {
    uint64_t seq;
    int64_t window;
    bool rolling() const { return (seq & 1) != 0; }
  };

  explicit WindowEpoch(int64_t window) : window_(window) {}

  View Read() const noexcept {
    View v;
    v.seq = seq_.load(std::memory_order_acquire);
    v.window = window_.load(std::memory_order_relaxed);
    return v;
  }
  // True if no roll-over began since `v` was read. Call after the request's
  // own acquire read-modify-write on its count: a count written by a roll-over
  // (with release) that the request's RMW saw makes the moved sequence visible.
  bool Unchanged(const View& v) const noexcept {
    return seq_.load(std::memory_order_acquire) == v.seq;
  }
  // Claims the roll-over from the window of `v`; false if another thread
  // rolled, or is rolling, since `v` was read.
  bool BeginRoll(const View& v) noexcept {
    uint64_t s = v.seq;
    return !v.rolling() &&
           seq_.compare_exchange_strong(s, s + 1, std::memory_order_acq_rel);
  }
  void EndRoll(const View& v, int64_t window) noexcept {
    window_.store(window, std::memory_order_relaxed);
    seq_.store(v.seq + 2, std::memory_order_release);
  }

 private:
  std::atomic<uint64_t> seq_{0};
  std::atomic<int64_t> window_;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_WINDOW_EPOCH_H_
