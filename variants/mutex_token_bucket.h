// mutex_token_bucket: the same bucket arithmetic as token_bucket (gcra.h) behind
// an absl::Mutex. This is the shape of golang.org/x/time/rate and Guava's
// RateLimiter: a lock around a little arithmetic. It is here as the peer design
// that the lock-free and sharded variants must beat to be worth their
// complexity.
//
// Promise (exact): in any closed interval of length t, at most
// B + floor(t / I) permits, I = ceil(W / L) ns. Never blocks for long: the
// critical section is a few instructions, though under contention a caller may
// wait for the lock (absl::Mutex spins briefly, then sleeps); try_acquire does
// not wait for permits.
#ifndef RATELAB_VARIANTS_MUTEX_TOKEN_BUCKET_H_
#define RATELAB_VARIANTS_MUTEX_TOKEN_BUCKET_H_

#include <memory>

#include "absl/synchronization/mutex.h"
#include "variants/gcra.h"
#include "variants/limiter.h"
#include "variants/util.h"

namespace ratelab {

template <class Clock>
class MutexTokenBucket {
 public:
  static constexpr std::string_view kName = "mutex_token_bucket";
  static constexpr std::string_view kDescription =
      "token bucket behind absl::Mutex (the x/time/rate and Guava design)";
  static constexpr int kMaxThreads = kMaxThreadsLimit;
  static constexpr bool kNeedsTick = false;
  struct Handle {};

  static absl::StatusOr<std::unique_ptr<MutexTokenBucket>> Create(
      const Limits& limits, const Options& options, Clock clock = Clock{}) {
    if (auto s = ValidateCommon(limits, options, kMaxThreads); !s.ok()) return s;
    auto params = GcraParams::Make(limits);
    if (!params.ok()) return params.status();
    return std::unique_ptr<MutexTokenBucket>(
        new MutexTokenBucket(limits, *params, clock));
  }

  Handle MakeHandle(int) { return {}; }

  bool try_acquire(Handle&, uint64_t n = 1) noexcept {
    if (!ValidRequest(n, limits_.burst)) return false;
    const int64_t now = clock_.Now();
    absl::MutexLock lock(&mu_);
    RATELAB_TSAN_ACQUIRE(&mu_);
    const bool ok = params_.Step(tat_, now, n, &tat_);
    RATELAB_TSAN_RELEASE(&mu_);
    return ok;
  }

  void tick(int64_t) noexcept {}

  Promise promise() const {
    return params_.MakePromise(limits_, 0, "exact: GCRA under a mutex");
  }
  const Clock& clock() const { return clock_; }

 private:
  MutexTokenBucket(const Limits& limits, const GcraParams& params, Clock clock)
      : limits_(limits), params_(params), clock_(clock) {}

  const Limits limits_;
  const GcraParams params_;
  Clock clock_;
  alignas(kLine128) absl::Mutex mu_;
  int64_t tat_ ABSL_GUARDED_BY(mu_) = GcraParams::kFullTat;
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_MUTEX_TOKEN_BUCKET_H_
