// Accuracy metrics for one accuracy point: how far a limiter's admissions,
// merged into time bins, strayed from the limit L per window W and from the
// variant's own Promise. The definitions are those of the `metrics` object in
// harness/RESULTS.md (accuracy.json); this file is their single implementation
// so the JSON writer and the tests cannot drift apart.
//
// Time resolution. The harness only knows which bin an admission fell in, so
// every window here is a run of whole bins:
//   window_bins = W / bin_ns, rounded down, and at least 1.
// Rounding down keeps a run no longer than W when W is not a multiple of
// bin_ns (the run then covers window_bins * bin_ns < W; overshoot_vs_limit
// still divides by L, so it can only understate). When W < bin_ns the run is a
// single bin, longer than W, and overshoot_vs_limit can overstate; pick
// bin_ns <= W, ideally dividing it. When the run has fewer bins than
// window_bins, the whole run is the one window.
//
// Bins are taken as ground truth: an admission is in the bin the harness
// stamped it with. The metrics cannot see a limiter's own decision time.
#ifndef RATELAB_HARNESS_ACCURACY_H_
#define RATELAB_HARNESS_ACCURACY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "variants/limiter.h"

namespace ratelab {

struct AccuracyInput {
  // bins[i] = permits admitted in [i * bin_ns, (i + 1) * bin_ns) from the
  // start of the measured interval, summed over threads. The last bin may be
  // partial (elapsed_ns need not be a multiple of bin_ns).
  std::vector<uint64_t> bins;
  int64_t bin_ns = 0;  // must be > 0
  Limits limits;       // as validated by ValidateCommon: L >= 1, W > 0
  Promise promise;
  int64_t elapsed_ns = 0;
  // Request counts over the whole run. The harness asks for n = 1 per
  // request, so admitted requests and admitted permits are the same number.
  uint64_t attempts = 0;
  uint64_t admitted = 0;
  uint64_t rejected = 0;
  // Offered load as a multiple of R = L / W. nullopt = saturating (threads
  // ask as fast as they can), which counts as above R.
  std::optional<double> offered_ratio;
  std::vector<uint64_t> per_thread_admitted;
};

struct AccuracyMetrics {
  // max over windows of (window sum / L) - 1.
  double overshoot_vs_limit = 0;
  // max over windows of (window sum / max_in_window) - 1; above 0 only if the
  // promise was broken at bin resolution. nullopt when the promise has no
  // bound (kUnbounded, or a bound that saturates at Promise::kNoBound).
  // +infinity if the bound is 0 and a window admitted anything.
  std::optional<double> overshoot_vs_promise;
  // (admitted / elapsed_s) / R - 1. nullopt when offered load < R, where
  // falling short of R is the load's doing, not the limiter's; also nullopt
  // when elapsed_ns <= 0 (no rate can be measured).
  std::optional<double> rate_error;
  // rejected / attempts (0 when attempts == 0). nullopt when offered load is
  // at or above R, where rejections are expected and none is "false".
  std::optional<double> false_rejections;
  // Windows (sliding by one bin) whose sum exceeds max_in_window.
  uint64_t promise_violations = 0;
  // promise.MaxAdmitted(span) for the span one window of bins covers; see
  // ComputeAccuracy. Promise::kNoBound when unbounded.
  uint64_t max_in_window = 0;
  // Fairness of per_thread_admitted; see JainIndex. min_max_ratio = min / max,
  // 1.0 when max is 0 or there are no threads.
  double jain = 1.0;
  double min_max_ratio = 1.0;
};

// All metrics for one accuracy point. Windows are runs of k bins, k =
// min(window_bins, bins.size()) (window_bins alone when bins is empty), and
// max_in_window = promise.MaxAdmitted(k * bin_ns): the bound for the closed
// interval those bins lie in (reasoning in accuracy.cc). With k * bin_ns == W,
// the usual case, that is the promise's bound for an interval of length W.
// Preconditions: bin_ns > 0 and limits valid (L >= 1, W > 0); broken ones do
// not make the function divide by zero, but the numbers then mean nothing.
AccuracyMetrics ComputeAccuracy(const AccuracyInput& in);

// Largest sum of window_bins consecutive bins. If bins has fewer than
// window_bins entries, the sum of all of them. 0 for empty bins or
// window_bins == 0 (the only window is empty).
uint64_t MaxWindowSum(const std::vector<uint64_t>& bins, size_t window_bins);

// Jain's fairness index (sum x)^2 / (n * sum x^2), in [1/n, 1]; 1 means every
// entry is equal. Defined as 1.0 for all-zero or empty input: no thread got
// less than another, so nothing was unfair (and 0/0 is not a number JSON can
// hold).
double JainIndex(const std::vector<uint64_t>& x);

}  // namespace ratelab

#endif  // RATELAB_HARNESS_ACCURACY_H_
