#include "harness/accuracy.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "variants/limiter.h"

namespace ratelab {
namespace {

// Calls fn(sum) for every run of k consecutive bins, sliding by one bin: the
// n - k + 1 windows of the run. Nothing is called when k == 0 or k > n; the
// callers decide what those cases mean.
//
// The running sum adds the bin entering and subtracts the bin leaving. Both
// are unsigned, so even if the running total wrapped modulo 2^64 each window's
// sum comes out exact as long as that window's true sum fits in 64 bits.
template <class Fn>
void ForEachWindowSum(const std::vector<uint64_t>& bins, size_t k, Fn&& fn) {
  const size_t n = bins.size();
  if (k == 0 || k > n) return;
  uint64_t sum = 0;
  for (size_t i = 0; i < n; ++i) {
    sum += bins[i];
    if (i >= k) sum -= bins[i - k];
    if (i + 1 >= k) fn(sum);
  }
}

// sum / bound - 1, the fraction by which a window went over a bound. A bound
// of 0 is not something a valid limiter states (L >= 1, B >= 1), but defined
// anyway so no caller divides by zero: meeting it exactly is 0, going over it
// at all is unboundedly far over.
double Overshoot(uint64_t sum, uint64_t bound) {
  if (bound == 0) {
    return sum == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return static_cast<double>(sum) / static_cast<double>(bound) - 1.0;
}

}  // namespace

uint64_t MaxWindowSum(const std::vector<uint64_t>& bins, size_t window_bins) {
  // A window longer than the run is the whole run: the run is the longest
  // stretch that was observed, so it is the best available stand-in.
  const size_t k = std::min(window_bins, bins.size());
  uint64_t best = 0;
  ForEachWindowSum(bins, k, [&](uint64_t s) { best = std::max(best, s); });
  return best;
}

double JainIndex(const std::vector<uint64_t>& x) {
  // Doubles, not integers: sum x^2 overflows 64 bits at a few billion per
  // thread, and the index is a ratio where 53 bits of precision are plenty.
  double sum = 0;
  double sum_sq = 0;
  for (uint64_t v : x) {
    const double d = static_cast<double>(v);
    sum += d;
    sum_sq += d * d;
  }
  if (sum_sq == 0) return 1.0;  // empty or all zero; see the header
  const double n = static_cast<double>(x.size());
  const double j = (sum * sum) / (n * sum_sq);
  // The exact value lies in [1/n, 1]; rounding can step just outside, which
  // would read as "fairer than perfectly fair".
  return std::clamp(j, 1.0 / n, 1.0);
}

AccuracyMetrics ComputeAccuracy(const AccuracyInput& in) {
  AccuracyMetrics m;
  const Limits& lim = in.limits;

  // Windows are runs of whole bins, W / bin_ns of them rounded down (never
  // longer than W), but at least one bin (see the header for W < bin_ns).
  // The guard keeps a broken bin_ns from dividing by zero.
  int64_t window_bins_signed =
      in.bin_ns > 0 ? lim.window_ns / in.bin_ns : int64_t{0};
  if (window_bins_signed < 1) window_bins_signed = 1;
  size_t window_bins = static_cast<size_t>(window_bins_signed);
  // A run shorter than a window is compared as one window of its own length.
  if (!in.bins.empty()) window_bins = std::min(window_bins, in.bins.size());

  // The bound a window of bins must respect. Admissions counted in the k bins
  // j .. j+k-1 all happened in the half-open interval
  // [j * bin_ns, (j + k) * bin_ns), which lies inside the closed interval of
  // the same endpoints, of length k * bin_ns. The promise caps every closed
  // interval of length t at MaxAdmitted(t), so the window's sum may not
  // exceed MaxAdmitted(k * bin_ns). Nothing tighter is justified: the bins do
  // not say where inside them the admissions fell, so they may have been
  // spread across almost the whole span. The converse does not hold: a true
  // violation inside some W-long interval may straddle k + 1 bins and be
  // compared against the looser bound for (k + 1) * bin_ns, so at bin
  // resolution a violation can be missed but never invented.
  // k * bin_ns <= W (or == bin_ns when clamped to 1), so it cannot overflow.
  const int64_t span_ns =
      static_cast<int64_t>(window_bins) * std::max<int64_t>(in.bin_ns, 0);
  m.max_in_window = in.promise.MaxAdmitted(span_ns);

  const uint64_t max_sum = MaxWindowSum(in.bins, window_bins);
  m.overshoot_vs_limit = Overshoot(max_sum, lim.limit);

  // kUnbounded states no bound; a bounded kind whose bound saturates at
  // kNoBound states none that a 64-bit count could break. Either way there is
  // nothing to compare against, so report null and no violations rather than
  // a ratio of about -1 that would read as "far inside the promise".
  if (in.promise.kind != Promise::Kind::kUnbounded &&
      m.max_in_window != Promise::kNoBound) {
    m.overshoot_vs_promise = Overshoot(max_sum, m.max_in_window);
    ForEachWindowSum(in.bins, window_bins, [&](uint64_t s) {
      if (s > m.max_in_window) ++m.promise_violations;
    });
  }

  // Saturating runs (no ratio) offer more than R by construction.
  const bool at_or_above_rate =
      !in.offered_ratio.has_value() || *in.offered_ratio >= 1.0;
  if (at_or_above_rate) {
    // (admitted / elapsed) / (L / W) - 1, arranged as one division so the
    // common cases (round numbers) come out exact.
    if (in.elapsed_ns > 0 && lim.limit > 0 && lim.window_ns > 0) {
      const double num = static_cast<double>(in.admitted) *
                         static_cast<double>(lim.window_ns);
      const double den = static_cast<double>(in.elapsed_ns) *
                         static_cast<double>(lim.limit);
      m.rate_error = num / den - 1.0;
    }
  } else {
    m.false_rejections =
        in.attempts == 0 ? 0.0
                         : static_cast<double>(in.rejected) /
                               static_cast<double>(in.attempts);
  }

  m.jain = JainIndex(in.per_thread_admitted);
  if (!in.per_thread_admitted.empty()) {
    const auto [mn, mx] = std::minmax_element(in.per_thread_admitted.begin(),
                                              in.per_thread_admitted.end());
    // max == 0: nobody got anything, so nobody got less; 1.0 as for Jain.
    m.min_max_ratio = *mx == 0 ? 1.0
                               : static_cast<double>(*mn) /
                                     static_cast<double>(*mx);
  }
  return m;
}

}  // namespace ratelab
