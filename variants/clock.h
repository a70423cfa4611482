// Clocks a limiter reads time from. A limiter takes its clock as a template
// parameter (so the hot path has no indirect call) and holds one instance of it
// (so a test's ManualClock can be shared between the test and the limiter).
//
// Every clock returns signed 64-bit nanoseconds from an arbitrary epoch. The
// limiters only ever subtract and divide these values, so the epoch is
// irrelevant, and int64 nanoseconds last ~292 years.
#ifndef RATELAB_VARIANTS_CLOCK_H_
#define RATELAB_VARIANTS_CLOCK_H_

#include <time.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace ratelab {

// CLOCK_MONOTONIC through the vDSO: ~20 ns per read, nanosecond resolution.
struct SteadyClock {
  static constexpr std::string_view kName = "steady";
  int64_t Now() const noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
};

// CLOCK_MONOTONIC_COARSE: cheaper (no TSC read) but only advances once per
// kernel tick (1-4 ms). A limiter on this clock sees time in steps, which the
// accuracy experiment makes visible.
struct CoarseClock {
  static constexpr std::string_view kName = "coarse";
  int64_t Now() const noexcept {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
};

// Time moved by hand, for tests. Copies share one time source, so a test keeps
// a copy and advances the limiter's time through it. Reads and writes are
// atomic so a test's driver thread may advance time while workers read it.
class ManualClock {
 public:
  static constexpr std::string_view kName = "manual";
  explicit ManualClock(int64_t start_ns = 0)
      : now_(std::make_shared<std::atomic<int64_t>>(start_ns)) {}
  int64_t Now() const noexcept { return now_->load(std::memory_order_acquire); }
  void Set(int64_t ns) noexcept { now_->store(ns, std::memory_order_release); }
  void Advance(int64_t ns) noexcept {
    now_->fetch_add(ns, std::memory_order_acq_rel);
  }

 private:
  std::shared_ptr<std::atomic<int64_t>> now_;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_CLOCK_H_
