// leased_token_bucket: each thread leases a batch of permits from one central
// token bucket (a GCRA word, gcra.h) and spends them from its own slot, so most
// requests touch only the thread's own cache line.
//
//  - Lease size shrinks with the central budget: a thread asks for
//    clamp(available / (2*T), 1, max_lease) permits (at least its n), so when
//    the bucket runs low, leases get small and threads share what is left.
//  - Leases expire after lease_ttl: the owner returns an expired lease's
//    unspent permits to the bucket before leasing anew, and tick() returns the
//    leases of threads that stopped asking. A return lowers the TAT by r*I,
//    which is exactly undoing the lease of those r permits.
//
// Permits live in exactly one place: the bucket, or one slot (lease_slots.h).
//
// Promise (approximate), T = threads, m = max_lease:
//   over-admission: in any closed interval of length t at most
//     B + floor(t / I) + T*m permits. The bucket's own promise covers every
//     permit leased; permits leased before the interval and spent inside it
//     are extra, and at most T*m are held at any moment.
//   under-admission: at most T*m permits are out of the bucket's reach at any
//     moment, and a lease no one spends returns within lease_ttl plus one tick.
// Defaults: m = max(1, B / (8*T)) (so the slack is at most B/8), lease_ttl =
// W / 10 (a stranded lease is back within a tenth of a window).
#ifndef RATELAB_VARIANTS_LEASED_TOKEN_BUCKET_H_
#define RATELAB_VARIANTS_LEASED_TOKEN_BUCKET_H_

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "variants/gcra.h"
#include "variants/lease_slots.h"
#include "variants/limiter.h"

namespace ratelab {

template <class Clock>
class LeasedTokenBucket {
 public:
  static constexpr std::string_view kName = "leased_token_bucket";
  static constexpr std::string_view kDescription =
      "threads lease shrinking, expiring batches from one central GCRA word";
  static constexpr int kMaxThreads = kMaxThreadsLimit;
  static constexpr bool kNeedsTick = true;  // reclaims idle threads' leases
  struct Handle {
    int index;
  };

  static absl::StatusOr<std::unique_ptr<LeasedTokenBucket>> Create(
      const Limits& limits, const Options& options, Clock clock = Clock{}) {
    if (auto s = ValidateCommon(limits, options, kMaxThreads); !s.ok()) return s;
    auto params = GcraParams::Make(limits);
    if (!params.ok()) return params.status();
    auto lease = LeaseParams::Make(limits, options, options.max_threads);
    if (!lease.ok()) return lease.status();
    return std::unique_ptr<LeasedTokenBucket>(new LeasedTokenBucket(
        limits, *params, options.max_threads, lease->max_lease, lease->ttl_ns, clock));
  }

  Handle MakeHandle(int thread_index) { return Handle{thread_index}; }

  bool try_acquire(Handle& h, uint64_t n = 1) noexcept {
    if (!ValidRequest(n, limits_.burst)) return false;
    const int64_t now = clock_.Now();
    if (slots_.TrySpend(h.index, now, n)) return true;
    return Refill(h.index, now, n);
  }

  // Returns the leases that have expired, including those of threads that
  // stopped asking.
  void tick(int64_t now) noexcept {
    slots_.ReclaimExpired(now, [this](uint64_t r) { Return(r); });
  }

  Promise promise() const {
    return params_.MakePromise(
        limits_, Promise::SatMul(static_cast<uint64_t>(threads_), max_lease_),
        absl::StrCat("approximate: B + t/I + T*m (T=", threads_,
                     " threads, m=", max_lease_, " max lease)"));
  }
  const Clock& clock() const { return clock_; }
  uint64_t max_lease() const { return max_lease_; }
  int64_t lease_ttl_ns() const { return ttl_; }

  // Permits currently held in leases (for tests: the under-admission bound).
  uint64_t Outstanding() const { return slots_.Outstanding(); }

 private:
  LeasedTokenBucket(const Limits& limits, const GcraParams& params, int threads,
                    uint64_t lease, int64_t ttl, Clock clock)
      : limits_(limits),
        params_(params),
        threads_(threads),
        max_lease_(lease),
        ttl_(ttl),
        clock_(clock),
        slots_(threads) {}

  bool Refill(int i, int64_t now, uint64_t n) noexcept {
    // Whatever is left (expired, or too small for n) goes back first, so it
    // is not stranded while this thread holds a fresh lease.
    Return(slots_.TakeAll(i));
    int64_t tat = tat_.load(std::memory_order_relaxed);
    for (;;) {
      const uint64_t share =
          params_.Available(tat, now) / (2 * static_cast<uint64_t>(threads_));
      const uint64_t want =
          std::max(n, std::clamp<uint64_t>(share, 1, max_lease_));
      int64_t next;
      uint64_t got = want;
      if (!params_.Step(tat, now, want, &next)) {
        if (want == n || !params_.Step(tat, now, n, &next)) return false;
        got = n;  // no batch left: take just this request's permits
      }
      if (tat_.compare_exchange_weak(tat, next, std::memory_order_relaxed)) {
        if (got > n) slots_.Hold(i, got - n, now + ttl_);
        return true;
      }
    }
  }

  void Return(uint64_t r) noexcept {
    if (r == 0) return;
    tat_.fetch_sub(static_cast<int64_t>(r) * params_.interval_ns,
                   std::memory_order_relaxed);
  }

  const Limits limits_;
  const GcraParams params_;
  const int threads_;
  const uint64_t max_lease_;
  const int64_t ttl_;
  Clock clock_;
  LeaseSlots slots_;
  alignas(kLine128) std::atomic<int64_t> tat_{GcraParams::kFullTat};
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_LEASED_TOKEN_BUCKET_H_
