// null: admits every valid request and touches no shared memory. It is the
// harness's own ceiling: whatever null cannot exceed is the cost of the
// harness loop itself, and its scaling shows the harness does not contend.
#ifndef RATELAB_VARIANTS_NULL_LIMITER_H_
#define RATELAB_VARIANTS_NULL_LIMITER_H_

#include <memory>

#include "variants/limiter.h"
#include "variants/util.h"

namespace ratelab {

template <class Clock>
class NullLimiter {
 public:
  static constexpr std::string_view kName = "null";
  static constexpr std::string_view kDescription =
      "admits everything, touches no shared memory: the harness's ceiling";
  static constexpr int kMaxThreads = kMaxThreadsLimit;
  static constexpr bool kNeedsTick = false;
  struct Handle {};

  static absl::StatusOr<std::unique_ptr<NullLimiter>> Create(
      const Limits& limits, const Options& options, Clock clock = Clock{}) {
    if (auto s = ValidateCommon(limits, options, kMaxThreads); !s.ok()) return s;
    return std::unique_ptr<NullLimiter>(new NullLimiter(limits, clock));
  }

  Handle MakeHandle(int) { return {}; }
  bool try_acquire(Handle&, uint64_t n = 1) noexcept {
    return ValidRequest(n, burst_);
  }
  void tick(int64_t) noexcept {}
  Promise promise() const {
    Promise p;
    p.bound_note = "no limit: a baseline";
    return p;
  }
  const Clock& clock() const { return clock_; }

 private:
  NullLimiter(const Limits& limits, Clock clock)
      : burst_(limits.burst), clock_(clock) {}
  const uint64_t burst_;
  Clock clock_;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_NULL_LIMITER_H_
