// The thread team: counts add up, pinning is recorded, bins hold every
// admission, and the ticker runs for the variants that need it.
#include "harness/team.h"

#include <sched.h>

#include <numeric>

#include "gtest/gtest.h"
#include "harness/loads.h"
#include "harness/machine.h"
#include "variants/registry.h"

namespace ratelab {
namespace {

TeamConfig Short(int threads) {
  TeamConfig c;
  c.threads = threads;
  c.warmup_ns = 5'000'000;
  c.duration_ns = 30'000'000;
  return c;
}

// A load that counts every call the team makes, to check that the team's
// totals are exactly what the workers did.
TEST(TeamTest, CountsAddUpAndArePerThread) {
  auto v = *NullLimiter<SteadyClock>::Create(Limits::WithDefaultBurst(10, 1000),
                                             Options{.max_threads = 3});
  SaturatingLoad load;
  TeamResult r = RunTeam(*v, Short(3), load);
  ASSERT_EQ(r.threads.size(), 3u);
  EXPECT_FALSE(r.interrupted);
  EXPECT_GE(r.duration_ns, 30'000'000);
  for (size_t i = 0; i < r.threads.size(); ++i) {
    EXPECT_EQ(r.threads[i].thread, static_cast<int>(i));
    EXPECT_GT(r.threads[i].attempts, 0u);
    EXPECT_EQ(r.threads[i].admitted, r.threads[i].attempts);  // null admits all
  }
}

TEST(TeamTest, RejectedRequestsAreCountedAsAttemptsOnly) {
  auto v = *TokenBucket<SteadyClock>::Create(
      Limits::WithDefaultBurst(100, 1'000'000'000'000), Options{.max_threads = 2});
  SaturatingLoad load;
  TeamResult r = RunTeam(*v, Short(2), load);
  uint64_t attempts = 0, admitted = 0;
  for (const auto& t : r.threads) {
    attempts += t.attempts;
    admitted += t.admitted;
  }
  // The warm-up spent most of the bucket; the measured part cannot exceed it.
  EXPECT_LE(admitted, 100u);
  EXPECT_GT(attempts, admitted);
}

TEST(TeamTest, PinningIsRequestedAndVerified) {
  const std::vector<int> online = OnlineCpus();
  ASSERT_FALSE(online.empty());
  auto v = *NullLimiter<SteadyClock>::Create(Limits::WithDefaultBurst(10, 1000),
                                             Options{.max_threads = 4});
  TeamConfig c = Short(4);
  c.cpus = online;
  SaturatingLoad load;
  TeamResult r = RunTeam(*v, c, load);
  for (const auto& t : r.threads) {
    ASSERT_TRUE(t.cpu_requested.has_value());
    EXPECT_EQ(*t.cpu_requested,
              online[static_cast<size_t>(t.thread) % online.size()]);
    // A pinned thread is only ever seen on its CPU.
    ASSERT_FALSE(t.cpus_seen.empty());
    for (int cpu : t.cpus_seen) EXPECT_EQ(cpu, *t.cpu_requested);
  }
}

TEST(TeamTest, BinsHoldEveryAdmission) {
  auto v = *SingleAtomic<SteadyClock>::Create(
      Limits::WithDefaultBurst(5'000, 10'000'000), Options{.max_threads = 2});
  TeamConfig c = Short(2);
  c.bin_ns = 1'000'000;
  SaturatingLoad load;
  TeamResult r = RunTeam(*v, c, load);
  for (const auto& t : r.threads) {
    const uint64_t binned = std::accumulate(t.bins.begin(), t.bins.end(), uint64_t{0});
    EXPECT_EQ(binned, t.admitted);
  }
}

TEST(TeamTest, TickerRunsForVariantsThatNeedIt) {
  auto v = *ShardedPadded128<SteadyClock>::Create(
      Limits::WithDefaultBurst(1'000, 1'000'000'000), Options{.max_threads = 2});
  TeamConfig c = Short(2);
  c.tick_ns = 200'000;
  SaturatingLoad load;
  TeamResult r = RunTeam(*v, c, load);
  EXPECT_GT(r.ticks, 0u);
  uint64_t admitted = 0;
  for (const auto& t : r.threads) admitted += t.admitted;
  // The flag closed once the aggregator saw the limit: far fewer than offered.
  EXPECT_LE(admitted, v->promise().PerWindow());
}

TEST(TeamTest, InterruptEndsThePointAndSaysSo) {
  auto v = *NullLimiter<SteadyClock>::Create(Limits::WithDefaultBurst(10, 1000),
                                             Options{.max_threads = 1});
  TeamConfig c = Short(1);
  c.duration_ns = 10'000'000'000;  // would take 10 s
  InterruptFlag().store(true);
  SaturatingLoad load;
  TeamResult r = RunTeam(*v, c, load);
  InterruptFlag().store(false);
  EXPECT_TRUE(r.interrupted);
  EXPECT_LT(r.duration_ns, 5'000'000'000);
}

TEST(TeamTest, SoftwareCountersAreOpenedPerThread) {
  auto v = *NullLimiter<SteadyClock>::Create(Limits::WithDefaultBurst(10, 1000),
                                             Options{.max_threads = 2});
  TeamConfig c = Short(2);
  c.events = {"task-clock", "cycles"};
  SaturatingLoad load;
  TeamResult r = RunTeam(*v, c, load);
  for (const auto& t : r.threads) {
    ASSERT_EQ(t.counters.size(), 2u);
    EXPECT_EQ(t.counters[0].event, "task-clock");
    ASSERT_TRUE(t.counters[0].value.has_value()) << t.counters[0].reason;
    EXPECT_GT(*t.counters[0].value, 0);
    // cycles: counted where there is a PMU, else null with a reason.
    EXPECT_TRUE(t.counters[1].value.has_value() || !t.counters[1].reason.empty());
  }
}

}  // namespace
}  // namespace ratelab
