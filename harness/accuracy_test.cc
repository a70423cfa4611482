// Tests for the accuracy metrics on hand-built bins: every expected number is
// worked out in the comments, and nothing here reads a clock.
#include "harness/accuracy.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "variants/limiter.h"

namespace ratelab {
namespace {

constexpr int64_t kMs = 1'000'000;

Promise TokenBucket(uint64_t burst, int64_t interval_ns) {
  Promise p;
  p.kind = Promise::Kind::kTokenBucket;
  p.burst = burst;
  p.interval_ns = interval_ns;
  return p;
}

Promise FixedWindow(uint64_t per_window, int64_t interval_ns) {
  Promise p;
  p.kind = Promise::Kind::kFixedWindow;
  p.burst = per_window;
  p.interval_ns = interval_ns;
  return p;
}

// A saturating point over the given bins; counts the metrics that do not look
// at bins (rate, rejections, fairness) are filled in per test.
AccuracyInput Input(std::vector<uint64_t> bins, int64_t bin_ns, uint64_t limit,
                    int64_t window_ns, Promise promise) {
  AccuracyInput in;
  in.bins = std::move(bins);
  in.bin_ns = bin_ns;
  in.limits = Limits::WithDefaultBurst(limit, window_ns);
  in.promise = std::move(promise);
  in.elapsed_ns = static_cast<int64_t>(in.bins.size()) * bin_ns;
  return in;
}

// ---- MaxWindowSum -----------------------------------------------------------

TEST(MaxWindowSumTest, SlidingWindowsOfSeveralWidths) {
  const std::vector<uint64_t> bins = {1, 5, 2, 8, 0, 3};
  // Width 2: 6, 7, 10, 8, 3.
  EXPECT_EQ(MaxWindowSum(bins, 2), 10u);
  // Width 3: 8, 15, 10, 11.
  EXPECT_EQ(MaxWindowSum(bins, 3), 15u);
  // Width 5: 16, 18.
  EXPECT_EQ(MaxWindowSum(bins, 5), 18u);
  // Width == size: the single window is everything.
  EXPECT_EQ(MaxWindowSum(bins, 6), 19u);
}

TEST(MaxWindowSumTest, WindowOfOneIsTheLargestBin) {
  EXPECT_EQ(MaxWindowSum({1, 5, 2, 8, 0, 3}, 1), 8u);
  EXPECT_EQ(MaxWindowSum({0, 0, 0}, 1), 0u);
}

TEST(MaxWindowSumTest, WindowLargerThanBinsSumsAllBins) {
  EXPECT_EQ(MaxWindowSum({1, 5, 2}, 4), 8u);
  EXPECT_EQ(MaxWindowSum({1, 5, 2}, 1000), 8u);
}

TEST(MaxWindowSumTest, MaximumAtEitherEndIsFound) {
  // Catches a slide that skips the first or the last window.
  EXPECT_EQ(MaxWindowSum({9, 0, 0, 1}, 2), 9u);
  EXPECT_EQ(MaxWindowSum({1, 0, 0, 9}, 2), 9u);
  EXPECT_EQ(MaxWindowSum({4, 4, 0, 0, 0, 1}, 2), 8u);
  EXPECT_EQ(MaxWindowSum({1, 0, 0, 0, 4, 4}, 2), 8u);
}

TEST(MaxWindowSumTest, EmptyInputsGiveZero) {
  EXPECT_EQ(MaxWindowSum({}, 3), 0u);
  EXPECT_EQ(MaxWindowSum({}, 0), 0u);
  EXPECT_EQ(MaxWindowSum({1, 2, 3}, 0), 0u);
}

TEST(MaxWindowSumTest, LargeCountsDoNotWrapAWindow) {
  // The running total passes 2^64 (three bins of 2^63 - 1), but each window
  // of two bins is 2^64 - 2, which fits; modular add/subtract keeps it exact.
  const uint64_t big = std::numeric_limits<uint64_t>::max() / 2;  // 2^63 - 1
  EXPECT_EQ(MaxWindowSum({big, big, big}, 2), 2 * big);
}

// ---- JainIndex --------------------------------------------------------------

TEST(JainIndexTest, EqualCountsArePerfectlyFair) {
  EXPECT_DOUBLE_EQ(JainIndex({7, 7, 7}), 1.0);
  EXPECT_DOUBLE_EQ(JainIndex({5}), 1.0);
}

TEST(JainIndexTest, OneThreadTakingAllIsOneOverN) {
  EXPECT_DOUBLE_EQ(JainIndex({1, 0, 0, 0}), 0.25);
  EXPECT_DOUBLE_EQ(JainIndex({0, 0, 1000}), 1.0 / 3.0);
}

TEST(JainIndexTest, UnequalCounts) {
  // (1 + 3)^2 / (2 * (1 + 9)) = 16 / 20.
  EXPECT_DOUBLE_EQ(JainIndex({1, 3}), 0.8);
}

TEST(JainIndexTest, AllZeroAndEmptyAreDefinedAsFair) {
  EXPECT_DOUBLE_EQ(JainIndex({0, 0, 0}), 1.0);
  EXPECT_DOUBLE_EQ(JainIndex({}), 1.0);
}

// ---- Overshoot and the promise ---------------------------------------------

// A fixed window of L = 100 per W = 10 ms, bins of 1 ms. The classic boundary
// burst: 100 in the last bin of one window (bin 9) and 100 in the first bin of
// the next (bin 10). Every 10-bin run that holds bins 9 and 10 sums to 200,
// twice L: 100% overshoot, and exactly what a fixed window is allowed to do.
TEST(ComputeAccuracyTest, FixedWindowBoundaryBurst) {
  std::vector<uint64_t> bins(30, 0);
  bins[9] = 100;
  bins[10] = 100;
  const AccuracyMetrics m =
      ComputeAccuracy(Input(bins, kMs, 100, 10 * kMs, FixedWindow(100, 10 * kMs)));

  EXPECT_DOUBLE_EQ(m.overshoot_vs_limit, 1.0);
  // A closed 10 ms interval meets at most two aligned windows, so an exact
  // fixed window promises 2L = 200 there: the boundary burst reaches the
  // bound exactly and does not break it.
  EXPECT_EQ(m.max_in_window, 200u);
  ASSERT_TRUE(m.overshoot_vs_promise.has_value());
  EXPECT_DOUBLE_EQ(*m.overshoot_vs_promise, 0.0);
  EXPECT_EQ(m.promise_violations, 0u);
}

// A token bucket of B = 10, one permit per I = 1 ms, so R = L / W with L = 10,
// W = 10 ms. It starts full: 10 permits in bin 0, then one refill per ms. The
// refill at t = k ms lands in bin k (bins are [k, k+1) ms), so bins are
// [10, 1, 1, ...]. The worst 10-bin run is bins 0..9: 10 + 9 = 19, an
// overshoot of (B - 1) / L = 0.9; the tenth refill, at exactly t = 10 ms, falls
// in bin 10, outside that run. The promise for the run's 10 ms span is
// B + floor(10 / 1) = 20, so the run stays one permit inside it.
TEST(ComputeAccuracyTest, TokenBucketInitialBurstThenSteady) {
  std::vector<uint64_t> bins(40, 1);
  bins[0] = 10;
  const AccuracyMetrics m =
      ComputeAccuracy(Input(bins, kMs, 10, 10 * kMs, TokenBucket(10, kMs)));

  EXPECT_DOUBLE_EQ(m.overshoot_vs_limit, 0.9);
  EXPECT_EQ(m.max_in_window, 20u);
  ASSERT_TRUE(m.overshoot_vs_promise.has_value());
  EXPECT_DOUBLE_EQ(*m.overshoot_vs_promise, 19.0 / 20.0 - 1.0);
  EXPECT_EQ(m.promise_violations, 0u);
}

// A token bucket promise of B = 5, I = 1 ms, with W = 4 ms: the bound for a
// 4-bin run is 5 + 4 = 9. The bins break it in two places.
TEST(ComputeAccuracyTest, CountsEveryViolatingWindow) {
  //                          0  1  2  3  4  5  6  7  8   9 10 11
  std::vector<uint64_t> bins = {0, 9, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0};
  // 4-bin windows by start: 0:9  1:10  2:1  3:1  4:1  5:10  6:10  7:10  8:10.
  // Window 0 sums to exactly the bound, which is allowed; windows 1, 5, 6, 7
  // and 8 exceed it: five violations.
  const AccuracyMetrics m =
      ComputeAccuracy(Input(bins, kMs, 4, 4 * kMs, TokenBucket(5, kMs)));

  EXPECT_EQ(m.max_in_window, 9u);
  EXPECT_EQ(m.promise_violations, 5u);
  ASSERT_TRUE(m.overshoot_vs_promise.has_value());
  EXPECT_DOUBLE_EQ(*m.overshoot_vs_promise, 10.0 / 9.0 - 1.0);
  EXPECT_GT(*m.overshoot_vs_promise, 0.0);
  EXPECT_DOUBLE_EQ(m.overshoot_vs_limit, 10.0 / 4.0 - 1.0);
}

TEST(ComputeAccuracyTest, SumEqualToBoundIsNotAViolation) {
  // Bound 9 as above; every window of 4 sums to exactly 9 or less.
  std::vector<uint64_t> bins = {9, 0, 0, 0, 6, 3, 0, 0};
  const AccuracyMetrics m =
      ComputeAccuracy(Input(bins, kMs, 4, 4 * kMs, TokenBucket(5, kMs)));
  EXPECT_EQ(m.promise_violations, 0u);
  ASSERT_TRUE(m.overshoot_vs_promise.has_value());
  EXPECT_DOUBLE_EQ(*m.overshoot_vs_promise, 0.0);
}

TEST(ComputeAccuracyTest, SlackRaisesTheBound) {
  // Same bins as CountsEveryViolatingWindow, but the promise states slack 1:
  // the bound becomes 10, and no window exceeds 10.
  Promise p = TokenBucket(5, kMs);
  p.exact = false;
  p.slack = 1;
  std::vector<uint64_t> bins = {0, 9, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0};
  const AccuracyMetrics m = ComputeAccuracy(Input(bins, kMs, 4, 4 * kMs, p));
  EXPECT_EQ(m.max_in_window, 10u);
  EXPECT_EQ(m.promise_violations, 0u);
}

TEST(ComputeAccuracyTest, UnboundedPromiseHasNoPromiseMetrics) {
  std::vector<uint64_t> bins = {50, 50, 50, 50};
  const AccuracyMetrics m =
      ComputeAccuracy(Input(bins, kMs, 10, 2 * kMs, Promise{}));
  EXPECT_EQ(m.max_in_window, Promise::kNoBound);
  EXPECT_FALSE(m.overshoot_vs_promise.has_value());
  EXPECT_EQ(m.promise_violations, 0u);
  // The limit is still there to be overshot: 100 per 2 bins vs L = 10.
  EXPECT_DOUBLE_EQ(m.overshoot_vs_limit, 9.0);
}

TEST(ComputeAccuracyTest, SaturatedBoundCountsAsUnbounded) {
  // A bounded kind whose bound saturates at kNoBound states nothing a 64-bit
  // count can break, so it is reported like kUnbounded.
  std::vector<uint64_t> bins = {1, 1};
  const AccuracyMetrics m = ComputeAccuracy(
      Input(bins, kMs, 10, 2 * kMs, TokenBucket(Promise::kNoBound - 1, kMs)));
  EXPECT_EQ(m.max_in_window, Promise::kNoBound);
  EXPECT_FALSE(m.overshoot_vs_promise.has_value());
  EXPECT_EQ(m.promise_violations, 0u);
}

// ---- Window length at bin resolution ---------------------------------------

TEST(ComputeAccuracyTest, WindowNotAMultipleOfBinRoundsDown) {
  // W = 10.5 ms, bins of 1 ms: windows are 10 bins (10 ms), never 11.
  // With one permit per bin, 10 bins sum to 10 = L (overshoot 0); 11 would
  // give 0.1. The token bucket (B = 1, I = 0.5 ms) bound is taken at 10 ms:
  // 1 + 20 = 21, where 10.5 ms would give 22.
  std::vector<uint64_t> bins(30, 1);
  const AccuracyMetrics m = ComputeAccuracy(
      Input(bins, kMs, 10, 10 * kMs + kMs / 2, TokenBucket(1, kMs / 2)));
  EXPECT_DOUBLE_EQ(m.overshoot_vs_limit, 0.0);
  EXPECT_EQ(m.max_in_window, 21u);
}

TEST(ComputeAccuracyTest, WindowShorterThanABinUsesOneBin) {
  // W = 0.5 ms, bins of 1 ms: a window is one bin, and the bound is for that
  // bin's 1 ms span: B + floor(1 ms / 0.25 ms) = 2 + 4 = 6.
  std::vector<uint64_t> bins = {3, 7, 2};
  const AccuracyMetrics m = ComputeAccuracy(
      Input(bins, kMs, 5, kMs / 2, TokenBucket(2, kMs / 4)));
  EXPECT_EQ(m.max_in_window, 6u);
  EXPECT_EQ(m.promise_violations, 1u);  // only the 7
  EXPECT_DOUBLE_EQ(m.overshoot_vs_limit, 7.0 / 5.0 - 1.0);
}

TEST(ComputeAccuracyTest, FewerBinsThanAWindowIsOneShortWindow) {
  // W = 10 bins but only 3 bins were recorded: the one window is all 3, and
  // its bound is for their 3 ms span: B + 3 = 7 (not B + 10 = 14).
  std::vector<uint64_t> bins = {4, 2, 2};
  const AccuracyMetrics m =
      ComputeAccuracy(Input(bins, kMs, 10, 10 * kMs, TokenBucket(4, kMs)));
  EXPECT_EQ(m.max_in_window, 7u);
  EXPECT_EQ(m.promise_violations, 1u);
  EXPECT_DOUBLE_EQ(m.overshoot_vs_limit, 8.0 / 10.0 - 1.0);
  ASSERT_TRUE(m.overshoot_vs_promise.has_value());
  EXPECT_DOUBLE_EQ(*m.overshoot_vs_promise, 8.0 / 7.0 - 1.0);
}

TEST(ComputeAccuracyTest, NoBinsAtAll) {
  const AccuracyMetrics m =
      ComputeAccuracy(Input({}, kMs, 10, 10 * kMs, TokenBucket(10, kMs)));
  EXPECT_DOUBLE_EQ(m.overshoot_vs_limit, -1.0);
  EXPECT_EQ(m.max_in_window, 20u);  // bound for a full 10 ms window
  EXPECT_EQ(m.promise_violations, 0u);
}

// ---- Rate error and false rejections ---------------------------------------

// L = 1000 per W = 100 ms is R = 10000/s. 15000 admitted in 1 s is 1.5 R.
AccuracyInput RateInput(std::optional<double> offered_ratio) {
  AccuracyInput in =
      Input({}, kMs, 1000, 100 * kMs, TokenBucket(1000, 100 * kMs / 1000));
  in.elapsed_ns = 1000 * kMs;
  in.attempts = 20000;
  in.admitted = 15000;
  in.rejected = 5000;
  in.offered_ratio = offered_ratio;
  return in;
}

TEST(ComputeAccuracyTest, SaturatingHasRateErrorOnly) {
  const AccuracyMetrics m = ComputeAccuracy(RateInput(std::nullopt));
  ASSERT_TRUE(m.rate_error.has_value());
  EXPECT_DOUBLE_EQ(*m.rate_error, 0.5);
  EXPECT_FALSE(m.false_rejections.has_value());
}

TEST(ComputeAccuracyTest, OfferedAtOrAboveRateHasRateErrorOnly) {
  for (double ratio : {1.0, 2.0, 10.0}) {
    SCOPED_TRACE(ratio);
    const AccuracyMetrics m = ComputeAccuracy(RateInput(ratio));
    ASSERT_TRUE(m.rate_error.has_value());
    EXPECT_DOUBLE_EQ(*m.rate_error, 0.5);
    EXPECT_FALSE(m.false_rejections.has_value());
  }
}

TEST(ComputeAccuracyTest, RateErrorBelowRateIsNegative) {
  AccuracyInput in = RateInput(std::nullopt);
  in.admitted = 7500;  // 0.75 R
  const AccuracyMetrics m = ComputeAccuracy(in);
  ASSERT_TRUE(m.rate_error.has_value());
  EXPECT_DOUBLE_EQ(*m.rate_error, -0.25);
}

TEST(ComputeAccuracyTest, OfferedBelowRateHasFalseRejectionsOnly) {
  AccuracyInput in = RateInput(0.5);
  in.attempts = 100;
  in.admitted = 75;
  in.rejected = 25;
  const AccuracyMetrics m = ComputeAccuracy(in);
  EXPECT_FALSE(m.rate_error.has_value());
  ASSERT_TRUE(m.false_rejections.has_value());
  EXPECT_DOUBLE_EQ(*m.false_rejections, 0.25);
}

TEST(ComputeAccuracyTest, NoAttemptsMeansNoFalseRejections) {
  AccuracyInput in = RateInput(0.5);
  in.attempts = 0;
  in.admitted = 0;
  in.rejected = 0;
  const AccuracyMetrics m = ComputeAccuracy(in);
  ASSERT_TRUE(m.false_rejections.has_value());
  EXPECT_DOUBLE_EQ(*m.false_rejections, 0.0);
}

TEST(ComputeAccuracyTest, NoElapsedTimeMeansNoRate) {
  AccuracyInput in = RateInput(std::nullopt);
  in.elapsed_ns = 0;
  const AccuracyMetrics m = ComputeAccuracy(in);
  EXPECT_FALSE(m.rate_error.has_value());
  EXPECT_FALSE(m.false_rejections.has_value());
}

// ---- Fairness ---------------------------------------------------------------

TEST(ComputeAccuracyTest, FairnessOverPerThreadCounts) {
  AccuracyInput in = RateInput(std::nullopt);
  in.per_thread_admitted = {5, 10};
  AccuracyMetrics m = ComputeAccuracy(in);
  // (15)^2 / (2 * 125) = 225 / 250.
  EXPECT_DOUBLE_EQ(m.jain, 0.9);
  EXPECT_DOUBLE_EQ(m.min_max_ratio, 0.5);

  in.per_thread_admitted = {0, 0};
  m = ComputeAccuracy(in);
  EXPECT_DOUBLE_EQ(m.jain, 1.0);
  EXPECT_DOUBLE_EQ(m.min_max_ratio, 1.0);

  in.per_thread_admitted = {0, 4};
  m = ComputeAccuracy(in);
  EXPECT_DOUBLE_EQ(m.jain, 0.5);
  EXPECT_DOUBLE_EQ(m.min_max_ratio, 0.0);

  in.per_thread_admitted = {};
  m = ComputeAccuracy(in);
  EXPECT_DOUBLE_EQ(m.jain, 1.0);
  EXPECT_DOUBLE_EQ(m.min_max_ratio, 1.0);
}

}  // namespace
}  // namespace ratelab
