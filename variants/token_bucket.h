// token_bucket: a lock-free token bucket whose whole state is one 64-bit word,
// the GCRA theoretical arrival time (see gcra.h), updated with CAS.
//
// Promise (exact): in any closed interval of length t, at most
// B + floor(t / I) permits, I = ceil(W / L) ns. Why one word: a bucket kept as
// (tokens, last refill time) needs two words and so a lock or a double-width
// CAS; the TAT folds both into one value. Why CAS and not fetch_add: the new
// TAT depends on max(TAT, now), so the update is a read-modify-write that must
// see the current value. The reject path only loads: a full bucket costs one
// shared read, no cache-line ownership.
#ifndef RATELAB_VARIANTS_TOKEN_BUCKET_H_
#define RATELAB_VARIANTS_TOKEN_BUCKET_H_

#include <atomic>
#include <memory>

#include "variants/gcra.h"
#include "variants/limiter.h"

namespace ratelab {

template <class Clock>
class TokenBucket {
 public:
  static constexpr std::string_view kName = "token_bucket";
  static constexpr std::string_view kDescription =
      "lock-free token bucket: one 64-bit GCRA word updated with CAS";
  static constexpr int kMaxThreads = kMaxThreadsLimit;
  static constexpr bool kNeedsTick = false;
  struct Handle {};

  static absl::StatusOr<std::unique_ptr<TokenBucket>> Create(
      const Limits& limits, const Options& options, Clock clock = Clock{}) {
    if (auto s = ValidateCommon(limits, options, kMaxThreads); !s.ok()) return s;
    auto params = GcraParams::Make(limits);
    if (!params.ok()) return params.status();
    return std::unique_ptr<TokenBucket>(new TokenBucket(limits, *params, clock));
  }

  Handle MakeHandle(int) { return {}; }

  bool try_acquire(Handle&, uint64_t n = 1) noexcept {
    if (!ValidRequest(n, limits_.burst)) return false;
    const int64_t now = clock_.Now();
    int64_t tat = tat_.load(std::memory_order_relaxed);
    int64_t next;
    do {
      if (!params_.Step(tat, now, n, &next)) return false;
    } while (!tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed));
    return true;
  }

  void tick(int64_t) noexcept {}

  Promise promise() const {
    return params_.MakePromise(limits_, 0, "exact: one CAS-updated GCRA word");
  }
  const Clock& clock() const { return clock_; }

 private:
  TokenBucket(const Limits& limits, const GcraParams& params, Clock clock)
      : limits_(limits), params_(params), clock_(clock) {}

  const Limits limits_;
  const GcraParams params_;
  Clock clock_;
  // The one shared word, alone on its line so the read-only fields above are
  // not invalidated by every CAS.
  alignas(kLine128) std::atomic<int64_t> tat_{GcraParams::kFullTat};
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_TOKEN_BUCKET_H_
