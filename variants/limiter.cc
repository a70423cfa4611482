#include "variants/limiter.h"

#include "variants/util.h"

namespace ratelab {

uint64_t Promise::MaxAdmitted(int64_t t_ns) const {
  if (t_ns < 0) t_ns = 0;
  switch (kind) {
    case Kind::kUnbounded:
      return kNoBound;
    case Kind::kTokenBucket: {
      const uint64_t refill = static_cast<uint64_t>(t_ns / interval_ns);
      return SatAdd(SatAdd(burst, refill), slack);
    }
    case Kind::kFixedWindow: {
      // A closed interval [a, a+t] touches windows floor(a/W) through
      // floor((a+t)/W): one for t = 0, else at most ceil(t/W) + 1. Windows
      // that an aggregator starts at its first tick after a boundary (the
      // approximate variants) are not aligned, and one more may overlap.
      const uint64_t w = static_cast<uint64_t>(interval_ns);
      const uint64_t t = static_cast<uint64_t>(t_ns);
      uint64_t windows = t == 0 ? 1 : CeilDiv(t, w) + 1;
      if (!exact) windows += 1;
      return SatMul(PerWindow(), windows);
    }
  }
  return kNoBound;
}

std::string_view Promise::KindName() const {
  switch (kind) {
    case Kind::kUnbounded:
      return "unbounded";
    case Kind::kTokenBucket:
      return "token_bucket";
    case Kind::kFixedWindow:
      return "fixed_window";
  }
  return "unknown";
}

absl::Status ValidateCommon(const Limits& limits, const Options& options,
                            int max_threads) {
  if (limits.limit == 0) {
    return absl::InvalidArgumentError("limit L=0: must be at least 1");
  }
  if (limits.window_ns <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "window W=", limits.window_ns, "ns: must be positive"));
  }
  if (limits.burst < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("burst B=", limits.burst, ": must be at least 1"));
  }
  if (options.max_threads < 1 || options.max_threads > max_threads) {
    return absl::InvalidArgumentError(absl::StrCat(
        "thread count ", options.max_threads, ": must be in [1, ",
        max_threads, "]"));
  }
  return absl::OkStatus();
}

absl::Status ValidatePackedCount(const Limits& limits, int max_threads,
                                 int count_bits) {
  const uint64_t cap = (uint64_t{1} << count_bits) - 1;
  const uint64_t worst = Promise::SatAdd(
      limits.limit,
      Promise::SatMul(static_cast<uint64_t>(max_threads), limits.burst));
  if (worst > cap) {
    return absl::InvalidArgumentError(absl::StrCat(
        "limit L=", limits.limit, " plus ", max_threads, " threads x burst B=",
        limits.burst, " = ", worst, " overflows the ", count_bits,
        "-bit window count (max ", cap, ")"));
  }
  return absl::OkStatus();
}

}  // namespace ratelab
