// GCRA (generic cell rate algorithm) arithmetic: a token bucket kept as one
// integer, the "theoretical arrival time" (TAT) in nanoseconds. It is the
// representation behind folly's TokenBucket ("zero time") and redis-cell, and it
// lets a lock-free bucket be a single 64-bit word updated with CAS.
//
// With emission interval I (ns per permit) and tolerance tau = B * I, a request
// for n permits at time now is admitted iff
//     max(TAT, now) + n*I - now <= tau,
// and then TAT becomes max(TAT, now) + n*I. In any closed interval [a, a+t]
// the admitted permits k satisfy a + k*I <= TAT_end <= a + t + tau, so
// k <= B + floor(t / I): the token-bucket promise, exactly, in integers.
//
// I = ceil(W / L): when L does not divide W the bucket runs slightly below L/W
// (never above), and the promise states the rate actually enforced.
#ifndef RATELAB_VARIANTS_GCRA_H_
#define RATELAB_VARIANTS_GCRA_H_

#include <algorithm>
#include <cstdint>
#include <limits>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "variants/limiter.h"
#include "variants/util.h"

namespace ratelab {

struct GcraParams {
  int64_t interval_ns = 0;  // I
  int64_t tau_ns = 0;       // B * I

  // TAT of a full bucket: far enough in the past that max(TAT, now) == now
  // for any clock value a limiter will see, yet far from overflow.
  static constexpr int64_t kFullTat = std::numeric_limits<int64_t>::min() / 4;

  static absl::StatusOr<GcraParams> Make(const Limits& limits) {
    if (static_cast<uint64_t>(limits.window_ns) < limits.limit) {
      return absl::InvalidArgumentError(absl::StrCat(
          "limit L=", limits.limit, " per window W=", limits.window_ns,
          "ns is more than one permit per nanosecond, which the integer-ns "
          "bucket cannot represent"));
    }
    GcraParams p;
    p.interval_ns = static_cast<int64_t>(
        CeilDiv(static_cast<uint64_t>(limits.window_ns), limits.limit));
    // Keep tau, and TAT = now + tau, far below int64 overflow (2^61 ns is
    // ~73 years of tolerance).
    constexpr int64_t kMaxTau = int64_t{1} << 61;
    if (limits.burst > static_cast<uint64_t>(kMaxTau / p.interval_ns)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "burst B=", limits.burst, " x interval ", p.interval_ns,
          "ns overflows the bucket's 2^61 ns tolerance"));
    }
    p.tau_ns = static_cast<int64_t>(limits.burst) * p.interval_ns;
    return p;
  }

  // One GCRA step; returns false (and leaves *next alone) when n does not fit.
  bool Step(int64_t tat, int64_t now, uint64_t n, int64_t* next) const {
    const int64_t start = std::max(tat, now);
    const int64_t after = start + static_cast<int64_t>(n) * interval_ns;
    if (after - now > tau_ns) return false;
    *next = after;
    return true;
  }

  // Whole permits available at `now` (0..B).
  uint64_t Available(int64_t tat, int64_t now) const {
    const int64_t used = std::max(tat, now) - now;
    return static_cast<uint64_t>((tau_ns - used) / interval_ns);
  }

  Promise MakePromise(const Limits& limits, uint64_t slack,
                      std::string note) const {
    Promise p;
    p.kind = Promise::Kind::kTokenBucket;
    p.exact = slack == 0;
    p.burst = limits.burst;
    p.interval_ns = interval_ns;
    p.slack = slack;
    p.bound_note = std::move(note);
    return p;
  }
};

}  // namespace ratelab

#endif  // RATELAB_VARIANTS_GCRA_H_
